"""Periodic sweeps: redo from the database whatever a dead worker, a restart or a Redis outage dropped."""

from jobs import job
from jobs.account import sweep_account_emails
from jobs.alerts import sweep_alerts
from jobs.appointments import sweep_appointment_notices, sweep_appointment_reminders
from jobs.billing import sweep_card_payments, sweep_invoice_notices
from jobs.booking_notices import sweep_practice_notices
from jobs.clients import sweep_address_change_notices
from jobs.conversations import sweep_conversations
from jobs.documents import sweep_documents
from jobs.exports import sweep_exports
from jobs.forms import sweep_forms
from jobs.invites import sweep_invites
from jobs.passwords import sweep_password_resets
from jobs.team import sweep_staff_invites


@job
def run_sweeps() -> None:
    sweep_invites()
    sweep_staff_invites()
    sweep_password_resets()
    sweep_account_emails()
    sweep_conversations()
    sweep_documents()
    sweep_forms()
    sweep_alerts()
    sweep_appointment_reminders()
    sweep_practice_notices()
    sweep_appointment_notices()
    sweep_exports()
    sweep_address_change_notices()
    sweep_invoice_notices()
    sweep_card_payments()
