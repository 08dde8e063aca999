"""What Porch sent a client and when: portal invites, forms (by hand, check-in or intake) and reminders."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.appointments.models import Appointment, AppointmentReminder
from app.clients.models import Client, PortalInvite
from app.db import db
from app.forms.models import FormNotice, FormRequest
from app.mail import OwedEmail

SENT_AS = {"intake": "Intake form (automatic)", "check_in": "Check-in", "staff": "Form"}
SHOWN = 20


@dataclass(frozen=True)
class Activity:
    at: datetime
    what: str
    outcome: str
    retrying: OwedEmail | None = None  # the e-mail, while the mail server defers it


def _outcome(row) -> str:
    if row is None:
        return "in the portal (no e-mail address on record)"
    if row.sent_at is not None:
        return "e-mailed"
    if row.failed_at is not None:
        return f"not e-mailed: {row.failure_reason}"
    return "e-mail on its way"


def _retrying(row) -> OwedEmail | None:
    return row if row is not None and row.retrying else None


def activity_of(client: Client) -> list[Activity]:
    """The newest first, at most SHOWN of them (each kind read newest first, SHOWN at most)."""
    entries = []
    for invite in db.session.scalars(select(PortalInvite).where(PortalInvite.client_id == client.id)
                                     .order_by(PortalInvite.id.desc()).limit(SHOWN)):
        entries.append(Activity(invite.sent_at or invite.created_at, "Portal invite", _outcome(invite),
                                _retrying(invite)))
    forms = db.session.execute(select(FormRequest, FormNotice).outerjoin(
        FormNotice, FormNotice.form_request_id == FormRequest.id).where(FormRequest.client_id == client.id)
        .order_by(FormRequest.sent_at.desc(), FormRequest.id.desc()).limit(SHOWN)).all()
    for form, notice in forms:
        what = f"{SENT_AS.get(form.sent_as or 'staff', 'Form')}: {form.title}"
        entries.append(Activity(form.sent_at, what, _outcome(notice), _retrying(notice)))
    reminders = db.session.scalars(select(AppointmentReminder).join(Appointment).where(
        Appointment.client_id == client.id, AppointmentReminder.sent_at.is_not(None))
        .order_by(AppointmentReminder.sent_at.desc()).limit(SHOWN))
    for reminder in reminders:
        entries.append(Activity(reminder.sent_at, "Appointment reminder", "e-mailed"))
    return sorted(entries, key=lambda e: e.at, reverse=True)[:SHOWN]
