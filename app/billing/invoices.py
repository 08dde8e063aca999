"""What the staff side shows and does with a client's invoices, beside the money-moving calls in service.py:
the client record's list, a draft's edits, and the e-mail that tells the client an invoice was sent."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import clock
from app.audit.trail import record
from app.billing.models import METHOD_LABELS, Invoice, InvoiceLine, InvoiceNotice, Payment, Refund
from app.billing.service import BillingRefused, Line, invoice_errors, send_invoice
from app.clients.models import Client
from app.db import db
from app.paging import KeysetPage, keyset_page_of
from app.queue import enqueue
from app.tenancy import Workspace

ON_RECORD = 10  # invoices the client record lists before "All invoices"
INVOICES_PER_PAGE = 25
PAYMENT_STATES = {"succeeded": "received", "pending": "pending", "requires_action": "waiting for the client to confirm",
                  "declined": "declined", "error": "not completed"}


def _of_client(client: Client):
    return select(Invoice).where(Invoice.workspace_id == client.workspace_id, Invoice.client_id == client.id)


def latest_invoices(client: Client) -> tuple[list[Invoice], bool]:
    """The client's newest invoices for their record, and whether there are more."""
    rows = list(db.session.scalars(_of_client(client).order_by(Invoice.issued_on.desc(), Invoice.id.desc())
                                   .limit(ON_RECORD + 1)))
    return rows[:ON_RECORD], len(rows) > ON_RECORD


def invoice_page(client: Client, cursor: str | None) -> KeysetPage:
    """A page of all the client's invoices, newest first."""
    return keyset_page_of(_of_client(client), [Invoice.issued_on, Invoice.id], cursor, INVOICES_PER_PAGE,
                          scope=f"invoices-{client.id}", descending=True)


@dataclass(frozen=True)
class PaymentShown:
    payment: Payment
    refunds: list[Refund]

    @property
    def refundable_cents(self) -> int:
        return self.payment.amount_cents - self.payment.refunded_cents

    @property
    def label(self) -> str:
        return f"{METHOD_LABELS[self.payment.method]} · {PAYMENT_STATES.get(self.payment.status, self.payment.status)}"


def payments_of(invoice: Invoice) -> list[PaymentShown]:
    """The invoice's payments that went through or are under way, each with its refunds (two queries)."""
    payments = list(db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)
                                       .order_by(Payment.created_at, Payment.id)))
    refunds: dict[int, list[Refund]] = {}
    if payments:
        for refund in db.session.scalars(select(Refund).where(Refund.payment_id.in_([p.id for p in payments]))
                                         .order_by(Refund.id)):
            refunds.setdefault(refund.payment_id, []).append(refund)
    return [PaymentShown(payment, refunds.get(payment.id, [])) for payment in payments]


def change_draft(invoice: Invoice, client: Client, currency: str, issued_on: date | None, due_on: date | None,
                 lines: list[Line], tax_basis_points: int | None = None) -> None:
    """Rewrite a draft's lines, dates and tax; a sent invoice is not changed (void it and make another)."""
    if not invoice.is_draft or invoice.voided_at is not None:
        raise BillingRefused({"invoice": "Only a draft can be changed; void this invoice and make a new one."})
    if errors := invoice_errors(currency, client.workspace.currency, issued_on, due_on, lines, tax_basis_points):
        raise BillingRefused(errors)
    subtotal = sum(line.quantity * line.unit_price_cents for line in lines)
    tax = (subtotal * tax_basis_points + 5000) // 10000 if tax_basis_points else None
    invoice.currency, invoice.issued_on, invoice.due_on = currency, issued_on, due_on
    invoice.tax_basis_points, invoice.tax_cents, invoice.total_cents = tax_basis_points, tax, subtotal + (tax or 0)
    invoice.lines = [InvoiceLine(position=n, description=line.description.strip(), quantity=line.quantity,
                                 unit_price_cents=line.unit_price_cents) for n, line in enumerate(lines)]
    record("invoice.changed", workspace_id=invoice.workspace_id, client_id=invoice.client_id,
           subject_type="invoice", subject_id=invoice.id)


def send_to_client(invoice: Invoice, client: Client) -> bool:
    """Send a draft and owe the client the e-mail saying so (if they have a portal to read it in). True when the
    e-mail is on its way."""
    was_draft = invoice.is_draft
    send_invoice(invoice)
    account = client.account
    if not was_draft or account is None or not account.is_active or client.portal_disabled_at is not None:
        return False
    notice = InvoiceNotice(workspace_id=invoice.workspace_id, invoice_id=invoice.id, created_at=clock.now())
    db.session.add(notice)
    db.session.flush()
    enqueue("jobs.billing.send_invoice_notice", notice.id)
    return True


def received_moment(day: date, workspace: Workspace) -> datetime | None:
    """When money received on `day` (the practice's date) is recorded: now for today, else midday that day."""
    zone = ZoneInfo(workspace.time_zone)
    if day == clock.now().astimezone(zone).date():
        return None
    return datetime.combine(day, time(12), tzinfo=zone).astimezone(UTC)
