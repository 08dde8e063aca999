"""Billing in the client portal: invoices, paying them, a printable receipt, and the client's saved cards."""

import re
import uuid
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, request, session, url_for
from flask_login import current_user

from app import clock
from app.auth.access import client_required
from app.billing import checkout, service
from app.billing.models import Invoice, PaymentMethod
from app.billing.processor import ProcessorError
from app.billing.processors import current_processor
from app.db import db
from app.pages import render, see_other
from app.paging import cursor_arg
from app.tenancy import own_or_404

bp = Blueprint("portal_billing", __name__, url_prefix="/portal/billing")

PENDING_SETUP = "billing_card_setup"  # the card the client is adding on the processor's page, and what it pays
PAID = "Thank you: your payment went through."
PAY_KEY = re.compile(r"[A-Za-z0-9_-]{20,80}")  # what the pay form's hidden key looks like
CHOOSE_CARD = "Choose one of your saved cards, or pay with a new card."


def own_invoice_or_404(invoice_id: int) -> Invoice:
    invoice = own_or_404(Invoice, invoice_id)
    if invoice.is_draft:
        abort(404)  # a draft is the practice's until it is sent
    return invoice


def own_card_or_404(method_id: int) -> PaymentMethod:
    card = own_or_404(PaymentMethod, method_id)
    if card.removed_at is not None:
        abort(404)
    return card


def client_today():
    return clock.now().astimezone(ZoneInfo(current_user.client.time_zone)).date()


@bp.get("")
@client_required
def index():
    invoices = checkout.invoices_of(current_user.client, cursor_arg(request.args.get("after")))
    return render("billing/portal_index.html", "billing/_portal_invoices.html", client=current_user.client,
                  invoices=invoices, today=client_today())


@bp.get("/<int:invoice_id>")
@client_required
def invoice(invoice_id: int):
    return _invoice_page(own_invoice_or_404(invoice_id))


@bp.post("/<int:invoice_id>/pay")
@client_required
def pay(invoice_id: int):
    invoice = own_invoice_or_404(invoice_id)
    key = request.form.get("key", "")
    key = key if PAY_KEY.fullmatch(key) else None
    if key and (earlier := checkout.repeat_of(invoice, key)):
        return _answer(invoice, checkout.outcome_of(earlier, current_processor()))  # a double click, a retry
    if reason := checkout.why_not_payable(invoice, client_today()):
        return _invoice_page(invoice, error=reason, http_status=409)
    if key is None:
        return _invoice_page(invoice, error="This form is out of date. Check the invoice and pay again.",
                             http_status=422)
    chosen = request.form.get("card", "")
    if chosen == "new":
        return _add_card(return_to=url_for(".card_added", _external=True), invoice_id=invoice.id, key=key)
    card = next((c for c in service.saved_cards(current_user.client) if str(c.id) == chosen), None)
    if card is None:
        return _invoice_page(invoice, error=CHOOSE_CARD, http_status=422)
    return _after_paying(invoice, card, key)


@bp.get("/<int:invoice_id>/confirmed")
@client_required
def confirmed(invoice_id: int):
    """Where the processor sends the client back after its confirmation step (3-D Secure)."""
    invoice = own_invoice_or_404(invoice_id)
    outcome = checkout.confirmation_returned(invoice, current_processor())
    return _answer(invoice, outcome)


@bp.get("/<int:invoice_id>/receipt")
@client_required
def receipt(invoice_id: int):
    invoice = own_invoice_or_404(invoice_id)
    return render("billing/portal_receipt.html", client=current_user.client, invoice=invoice,
                  status=invoice.status(client_today()), payments=checkout.payments_of(invoice))


@bp.get("/methods")
@client_required
def methods():
    return _methods_page()


@bp.post("/methods")
@client_required
def add_method():
    return _add_card(return_to=url_for(".card_added", _external=True))


@bp.get("/methods/added")
@client_required
def card_added():
    """Back from the processor's page: keep the card, then pay with it if that is what the client was doing."""
    pending = session.pop(PENDING_SETUP, None)
    if not isinstance(pending, dict) or "reference" not in pending:
        return see_other(url_for(".methods"))
    processor = current_processor()
    card = checkout.finish_adding_card(current_user.client, processor, str(pending["reference"]))
    invoice_id = pending.get("invoice_id")
    if card is None:
        flash("No card was added.")
        return see_other(url_for(".invoice", invoice_id=invoice_id) if invoice_id else url_for(".methods"))
    if not invoice_id:
        flash(f"{card.label} is saved.")
        return see_other(url_for(".methods"))
    invoice = own_invoice_or_404(int(invoice_id))
    if reason := checkout.why_not_payable(invoice, client_today()):
        return _invoice_page(invoice, error=reason, http_status=409)
    return _after_paying(invoice, card, str(pending["key"]))


@bp.post("/methods/<int:method_id>/default")
@client_required
def make_default(method_id: int):
    card = own_card_or_404(method_id)
    service.make_default(card)
    db.session.commit()
    flash(f"{card.label} is now your default card.")
    return see_other(url_for(".methods"))


@bp.post("/methods/<int:method_id>/remove")
@client_required
def remove_method(method_id: int):
    card = own_card_or_404(method_id)
    service.remove_card(card, current_processor())
    db.session.commit()
    flash(f"{card.label} is removed.")
    return see_other(url_for(".methods"))


def _add_card(return_to: str, **paying):
    try:
        reference, page = checkout.start_adding_card(current_user.client, current_processor(), return_to)
    except ProcessorError:
        return _methods_page(error=checkout.UNREACHABLE, http_status=503)
    session[PENDING_SETUP] = {"reference": reference, **paying}
    return see_other(page)


def _after_paying(invoice: Invoice, card: PaymentMethod, key: str):
    payment_return = url_for(".confirmed", invoice_id=invoice.id, _external=True)
    try:
        outcome = checkout.pay(invoice, card, current_processor(), key, payment_return)
    except service.BillingRefused as refused:
        return _invoice_page(invoice, error=" ".join(refused.errors.values()), http_status=409)
    return _answer(invoice, outcome)


def _answer(invoice: Invoice, outcome: checkout.Outcome | None):
    if outcome is None:
        return see_other(url_for(".invoice", invoice_id=invoice.id))
    if outcome.status == "requires_action" and outcome.action_url:
        return see_other(outcome.action_url)
    if outcome.status in ("declined", "error"):
        return _invoice_page(invoice, error=outcome.message, http_status=402 if outcome.status == "declined" else 503)
    flash(PAID if outcome.status == "succeeded" else "Your payment is being processed; this page shows when it is.")
    return see_other(url_for(".invoice", invoice_id=invoice.id))


def _invoice_page(invoice: Invoice, error: str | None = None, http_status: int = 200):
    cards = service.saved_cards(current_user.client)
    payments = checkout.payments_of(invoice)
    return render("billing/portal_invoice.html", client=current_user.client,
                  invoice=invoice, status=invoice.status(client_today()), payments=payments, cards=cards,
                  balance=invoice.total_cents - service.paid_so_far(invoice),
                  cards_by_id=checkout.cards_by_id(cards), key=uuid.uuid4().hex, error=error,
                  test_mode=current_processor().test_mode, http_status=http_status)


def _methods_page(error: str | None = None, http_status: int = 200):
    return render("billing/portal_methods.html", client=current_user.client,
                  cards=service.saved_cards(current_user.client), error=error,
                  test_mode=current_processor().test_mode, http_status=http_status)
