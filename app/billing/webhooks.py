"""Where the payment processor tells Porch what became of a payment. Its signature is its credential: no session,
no CSRF token (the processor has neither), and the event is applied once however often or early it arrives."""

from flask import Blueprint, abort, request

from app.billing.processor import ProcessorError
from app.billing.processors import current_processor
from app.billing.service import apply_event
from app.extensions import csrf

bp = Blueprint("billing_webhooks", __name__, url_prefix="/billing/webhooks")


@bp.post("/<processor>")
@csrf.exempt
def receive(processor: str):
    chosen = current_processor()
    if processor != chosen.name:
        abort(404)
    try:
        event = chosen.parse_event(request.get_data(), dict(request.headers))
    except ProcessorError:
        return "The signature does not match.\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
    apply_event(event, chosen)
    return "", 200
