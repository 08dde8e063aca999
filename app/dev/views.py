"""The embedded run's mailbox: e-mails recorded in the outbox (not registered in production)."""

from flask import Blueprint, abort
from flask_login import current_user

from app.auth.access import staff_required
from app.db import db
from app.dev.outbox import sealed_for
from app.dev.policy import may_read_outbox
from app.mail import OutboxEmail
from app.pages import render
from app.tenancy import get_or_404, scoped

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
@staff_required
def outbox():
    if not may_read_outbox(current_user):
        abort(403)
    emails = list(db.session.scalars(scoped(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(100)))
    return render("dev/outbox.html", emails=emails, sealed=sealed_for(current_user, emails))


@bp.get("/outbox/<int:email_id>")
@staff_required
def email(email_id: int):
    if not may_read_outbox(current_user):
        abort(403)
    email = get_or_404(OutboxEmail, email_id)
    return render("dev/email.html", email=email, sealed=sealed_for(current_user, [email]).get(email.id))
