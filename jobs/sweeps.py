"""Periodic sweeps: redo from the database whatever a dead worker, a restart or a Redis outage dropped."""

import logging

from sqlalchemy import select

from app import clock
from app.auth.models import PasswordReset
from app.auth.resets import RESET_TTL
from app.clients.models import PortalInvite
from app.db import db
from app.mail import MailDeferred
from jobs import job
from jobs.appointments import sweep_appointment_reminders
from jobs.conversations import sweep_conversations
from jobs.delivery import claimable
from jobs.documents import sweep_documents
from jobs.forms import sweep_forms
from jobs.invites import send_invite_email
from jobs.passwords import send_password_reset_email

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 60


@job
def run_sweeps() -> None:
    invites = db.session.scalars(select(PortalInvite.id).where(
        PortalInvite.revoked_at.is_(None), PortalInvite.accepted_at.is_(None), *claimable(PortalInvite))).all()
    resets = db.session.scalars(select(PasswordReset.id).where(
        PasswordReset.created_at > clock.now() - RESET_TTL, *claimable(PasswordReset))).all()
    db.session.commit()
    for send, ids in ((send_invite_email, invites), (send_password_reset_email, resets)):
        for row_id in ids:
            try:
                send(row_id)
            except MailDeferred:
                log.warning("%s(%s) deferred; it stays due", send.__name__, row_id)
    sweep_conversations()
    sweep_documents()
    sweep_forms()
    sweep_appointment_reminders()
