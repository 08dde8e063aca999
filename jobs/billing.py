"""The e-mail telling a client that the practice sent an invoice: at most once, and without amounts or lines."""

from app.billing.models import InvoiceNotice
from app.billing.processors import current_processor
from app.billing.service import resume_card_payments
from app.clients.models import Client
from app.db import db
from app.mail import link_to, mail_from_practice
from jobs import job
from jobs.delivery import deliver_once, resend_due


@job
def send_invoice_notice(notice_id: int) -> None:
    deliver_once(InvoiceNotice, notice_id, wanted=_still_wanted, mail=_mail)


def _still_wanted(notice: InvoiceNotice) -> bool:
    invoice = notice.invoice
    client = db.session.get(Client, invoice.client_id)
    account = client.account
    return (invoice.voided_at is None and account is not None and account.is_active
            and client.portal_disabled_at is None)


def _mail(notice: InvoiceNotice) -> None:
    client = db.session.get(Client, notice.invoice.client_id)
    link = link_to("portal_billing.invoice", invoice_id=notice.invoice_id)
    mail_from_practice(client.workspace, client.account.email, "invoice_sent", link=link)


def sweep_invoice_notices() -> None:
    resend_due(InvoiceNotice, send_invoice_notice)


def sweep_card_payments() -> None:
    resume_card_payments(current_processor(),
                         lambda payment: link_to("portal_billing.confirmed", invoice_id=payment.invoice_id))
