"""The embedded run's mailbox: e-mails recorded in the outbox (not registered in production)."""

from flask import Blueprint, abort, request
from flask_login import current_user
from sqlalchemy.orm import defer

from app.auth.access import staff_required
from app.dev.outbox import sealed_for
from app.dev.policy import may_read_outbox
from app.mail import OutboxEmail
from app.pages import render
from app.paging import cursor_arg, keyset_page_of
from app.tenancy import get_or_404, scoped

bp = Blueprint("dev", __name__, url_prefix="/dev")
OUTBOX_PAGE = 50


@bp.get("/outbox")
@staff_required
def outbox():
    if not may_read_outbox(current_user):
        abort(403)
    page = keyset_page_of(scoped(OutboxEmail).options(defer(OutboxEmail.body_text)), [OutboxEmail.id],
                          cursor_arg(request.args.get("after")), OUTBOX_PAGE, scope="outbox", descending=True)
    return render("dev/outbox.html", "dev/_outbox_rows.html", emails=page.items, page=page,
                  sealed=sealed_for(current_user, page.items))


@bp.get("/outbox/<int:email_id>")
@staff_required
def email(email_id: int):
    if not may_read_outbox(current_user):
        abort(403)
    email = get_or_404(OutboxEmail, email_id)
    return render("dev/email.html", email=email, sealed=sealed_for(current_user, [email]).get(email.id))
