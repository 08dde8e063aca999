"""Invoices, their lines, payments (with every attempt and refund) and the cards a client saved.

Money is integer minor units (cents) with an ISO 4217 currency. Porch never stores a card number: a saved card is
the processor's token and a label (brand, last four digits, expiry).
"""

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, bindparam, false, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import EncryptedText, db, prepared
from app.mail import OwedEmail

MAX_QUANTITY = 1000
MAX_UNIT_PRICE_MINOR = 10_000_000  # 100,000.00 in a two-decimal currency
PAYMENT_METHODS = ("card", "cash", "bank_transfer")
METHOD_LABELS = {"card": "Card", "cash": "Cash", "bank_transfer": "Bank transfer"}
# A card payment in these states holds its invoice: a second one (another tab, another key) is refused by the
# database, so one invoice is never charged twice. One waiting for the bank's confirmation holds it too, or both
# could be confirmed.
CARD_PAYMENT_HOLDS_INVOICE = text("method = 'card' AND status IN ('pending', 'requires_action', 'succeeded')")


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("workspace_id", "request_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int]
    issued_on: Mapped[date]
    due_on: Mapped[date]
    paid_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    # Added in 0015: a draft is not shown to the client until it is sent.
    is_draft: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sent_at: Mapped[datetime | None]
    tax_basis_points: Mapped[int | None]  # 825 = 8.25 %
    tax_cents: Mapped[int | None]
    request_key: Mapped[str | None] = mapped_column(String(36))  # the form post that made it: a repeat makes none

    lines: Mapped[list["InvoiceLine"]] = relationship(order_by="InvoiceLine.position", cascade="all, delete-orphan")

    def status(self, today: date) -> str:
        """Draft, Due, Overdue, Paid or Void, as the client sees it on `today` (their local date)."""
        if self.voided_at is not None:
            return "Void"
        if self.paid_at is not None:
            return "Paid"
        if self.is_draft:
            return "Draft"
        return "Overdue" if self.due_on < today else "Due"

    @property
    def subtotal_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines) if self.lines else self.total_cents - (self.tax_cents or 0)

    @property
    def payable(self) -> bool:
        return self.voided_at is None and self.paid_at is None and not self.is_draft


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(EncryptedText)  # "Individual session" can say what is treated
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_price_cents


class InvoiceNotice(OwedEmail, db.Model):
    """The e-mail telling a client an invoice was sent (no amount, no lines); sent at most once by a job."""

    __tablename__ = "invoice_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), unique=True)
    created_at: Mapped[datetime]

    invoice: Mapped[Invoice] = relationship()


class ProcessorCustomer(db.Model):
    """The processor's customer id for one client."""

    __tablename__ = "processor_customers"
    __table_args__ = (UniqueConstraint("client_id", "processor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    processor: Mapped[str] = mapped_column(String(20))
    customer: Mapped[str] = mapped_column(String(255))


class PaymentMethod(db.Model):
    """A card the client saved with the processor: its token and label, never its number."""

    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    processor: Mapped[str] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(String(255))
    setup_reference: Mapped[str | None] = mapped_column(String(255), unique=True)
    brand: Mapped[str] = mapped_column(String(40))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int]
    exp_year: Mapped[int]
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]

    @property
    def label(self) -> str:
        return f"{self.brand} ending {self.last4}, expires {self.exp_month:02d}/{self.exp_year}"


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (Index("uq_payments_card_per_invoice", "invoice_id", unique=True,
                            sqlite_where=CARD_PAYMENT_HOLDS_INVOICE, postgresql_where=CARD_PAYMENT_HOLDS_INVOICE),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"))
    method: Mapped[str] = mapped_column(String(20))  # card, cash, bank_transfer
    status: Mapped[str] = mapped_column(String(20))  # pending, requires_action, succeeded, declined, error
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    refunded_cents: Mapped[int] = mapped_column(default=0)
    processor_reference: Mapped[str | None] = mapped_column(String(255), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    succeeded_at: Mapped[datetime | None]


class PaymentAttempt(db.Model):
    """Each time a charge was tried, with the processor's outcome; declines keep their reason."""

    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # succeeded, declined, requires_action, error
    decline_message: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Refund(db.Model):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount_cents: Mapped[int]
    processor_reference: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class ProcessorEvent(db.Model):
    """A webhook already applied, so the same event arriving twice changes nothing twice."""

    __tablename__ = "processor_events"
    __table_args__ = (UniqueConstraint("processor", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    processor: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime]


def latest_invoice(client_id: int) -> Invoice | None:
    return db.session.scalar(_latest_invoice(), {"client_id": client_id})


@prepared
def _latest_invoice():
    return (select(Invoice)
            .where(Invoice.client_id == bindparam("client_id"), Invoice.voided_at.is_(None),
                   Invoice.is_draft.is_(False))
            .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
            .limit(1))
