"""What staff and clients do with invoices and payments. Every call that moves money is idempotent: the caller's
key is stored under a unique constraint and passed on to the processor, so a double click or a retry charges once."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.audit.trail import record
from app.billing.models import (
    MAX_QUANTITY,
    MAX_UNIT_PRICE_MINOR,
    PAYMENT_METHODS,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    ProcessorCustomer,
    ProcessorEvent,
    Refund,
)
from app.billing.processor import Charge, Event, PaymentProcessor, ProcessorError
from app.clients.models import Client
from app.db import db
from app.tenancy import repeat_of

CURRENCIES = ("USD", "CAD", "EUR", "GBP", "AUD", "NZD")
MAX_TAX_BASIS_POINTS = 5000  # 50 %


class BillingRefused(Exception):
    """The request cannot be done as asked; `errors` says why, by field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price_cents: int


def invoice_errors(currency: str, workspace_currency: str, issued_on: date | None, due_on: date | None,
                   lines: list[Line], tax_basis_points: int | None) -> dict[str, str]:
    errors = {}
    if currency not in CURRENCIES:
        errors["currency"] = "Choose one of the listed currencies."
    elif currency != workspace_currency:
        errors["currency"] = f"This practice bills in {workspace_currency}; an invoice in {currency} cannot be paid."
    if issued_on is None:
        errors["issued_on"] = "Enter the date of the invoice."
    if due_on is None:
        errors["due_on"] = "Enter the date it is due."
    elif issued_on is not None and due_on < issued_on:
        errors["due_on"] = "The due date cannot be before the invoice date."
    if not lines:
        errors["lines"] = "Add at least one line."
    for n, line in enumerate(lines):
        if not line.description.strip():
            errors[f"lines-{n}-description"] = "Describe what this line is for."
        elif len(line.description) > 200:
            errors[f"lines-{n}-description"] = "Keep the description under 200 characters."
        if not 1 <= line.quantity <= MAX_QUANTITY:
            errors[f"lines-{n}-quantity"] = f"The quantity must be between 1 and {MAX_QUANTITY}."
        if line.unit_price_cents <= 0:
            errors[f"lines-{n}-unit_price"] = "The price must be more than zero."
        elif line.unit_price_cents > MAX_UNIT_PRICE_MINOR:
            errors[f"lines-{n}-unit_price"] = "That price is too large for one line."
    if tax_basis_points is not None and not 0 <= tax_basis_points <= MAX_TAX_BASIS_POINTS:
        errors["tax"] = "The tax rate must be between 0 % and 50 %."
    return errors


def create_invoice(client: Client, currency: str, issued_on: date | None, due_on: date | None, lines: list[Line],
                   tax_basis_points: int | None = None, request_key: str | None = None) -> Invoice:
    """A draft invoice for `client`; raises BillingRefused (nothing written) when something is wrong. A repeat of
    the same form post (same request key) returns the invoice the first one made."""
    if (repeat := repeat_of(Invoice, client.workspace_id, request_key)) is not None:
        return repeat
    if errors := invoice_errors(currency, client.workspace.currency, issued_on, due_on, lines, tax_basis_points):
        raise BillingRefused(errors)
    subtotal = sum(line.quantity * line.unit_price_cents for line in lines)
    tax = (subtotal * tax_basis_points + 5000) // 10000 if tax_basis_points else None
    invoice = Invoice(workspace_id=client.workspace_id, client_id=client.id, currency=currency, number="",
                      total_cents=subtotal + (tax or 0), issued_on=issued_on, due_on=due_on, is_draft=True,
                      tax_basis_points=tax_basis_points, tax_cents=tax, request_key=request_key)
    invoice.lines = [InvoiceLine(position=n, description=line.description.strip(), quantity=line.quantity,
                                 unit_price_cents=line.unit_price_cents) for n, line in enumerate(lines)]
    db.session.add(invoice)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the same post, made at the same moment, won: its invoice is the answer
        if (repeat := repeat_of(Invoice, client.workspace_id, request_key)) is not None:
            return repeat
        raise
    invoice.number = f"INV-{invoice.id:05d}"  # unique without a counter that two writers could both read
    record("invoice.created", workspace_id=client.workspace_id, client_id=client.id, subject_type="invoice",
           subject_id=invoice.id)
    return invoice


def send_invoice(invoice: Invoice) -> None:
    if invoice.voided_at is not None:
        raise BillingRefused({"invoice": "A void invoice cannot be sent."})
    if invoice.is_draft:
        invoice.is_draft, invoice.sent_at = False, clock.now()
        record("invoice.sent", workspace_id=invoice.workspace_id, client_id=invoice.client_id,
               subject_type="invoice", subject_id=invoice.id)


def void_invoice(invoice: Invoice) -> None:
    if invoice.paid_at is not None:
        raise BillingRefused({"invoice": "A paid invoice cannot be voided; refund the payment instead."})
    if invoice.voided_at is None:
        invoice.voided_at = clock.now()
        record("invoice.voided", workspace_id=invoice.workspace_id, client_id=invoice.client_id,
               subject_type="invoice", subject_id=invoice.id)


def paid_so_far(invoice: Invoice) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Payment.amount_cents - Payment.refunded_cents), 0))
                             .where(Payment.invoice_id == invoice.id, Payment.status == "succeeded"))


def _settle(invoice: Invoice) -> None:
    if invoice.paid_at is None and paid_so_far(invoice) >= invoice.total_cents:
        invoice.paid_at = clock.now()


def _new_payment(payment: Payment) -> tuple[Payment, bool]:
    """Insert `payment`, or return the one already made with its idempotency key (and False). Losing the race
    to another request rolls this one's transaction back: call it before changing anything else."""
    db.session.add(payment)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = db.session.scalar(select(Payment).where(Payment.idempotency_key == payment.idempotency_key))
        return existing, False
    return payment, True


def record_outside_payment(invoice: Invoice, method: str, amount_cents: int, idempotency_key: str,
                           recorded_by_id: int | None = None, received_at: datetime | None = None) -> Payment:
    """Cash or a bank transfer taken outside Porch (on `received_at`, by default now), once per key."""
    already = db.session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    if already is not None and already.invoice_id == invoice.id:
        return already
    errors = {}
    if method not in PAYMENT_METHODS or method == "card":
        errors["method"] = "Choose cash or bank transfer."
    if amount_cents <= 0:
        errors["amount"] = "The amount must be more than zero."
    elif amount_cents > invoice.total_cents - paid_so_far(invoice):
        errors["amount"] = "That is more than is left to pay on this invoice."
    if not invoice.payable:
        errors["invoice"] = f"This invoice is {invoice.status(clock.now().date()).lower()}: it cannot be paid."
    if errors:
        raise BillingRefused(errors)
    payment, new = _new_payment(Payment(
        workspace_id=invoice.workspace_id, client_id=invoice.client_id, invoice_id=invoice.id, method=method,
        status="succeeded", amount_cents=amount_cents, currency=invoice.currency, refunded_cents=0,
        idempotency_key=idempotency_key, recorded_by_id=recorded_by_id, created_at=clock.now(),
        succeeded_at=received_at or clock.now()))
    if new:
        record("payment.recorded", workspace_id=invoice.workspace_id, client_id=invoice.client_id,
               subject_type="payment", subject_id=payment.id, detail=method)
        _settle(invoice)
    return payment


# --- the client's saved cards -------------------------------------------------------------------------------

def customer_for(client: Client, processor: PaymentProcessor) -> str:
    found = db.session.scalar(select(ProcessorCustomer).where(ProcessorCustomer.client_id == client.id,
                                                              ProcessorCustomer.processor == processor.name))
    if found is not None:
        return found.customer
    customer = processor.create_customer(reference=f"porch-client-{client.id}", email=None)
    db.session.add(ProcessorCustomer(workspace_id=client.workspace_id, client_id=client.id,
                                     processor=processor.name, customer=customer))
    db.session.commit()
    return customer


def saved_cards(client: Client) -> list[PaymentMethod]:
    return list(db.session.scalars(select(PaymentMethod).where(
        PaymentMethod.client_id == client.id, PaymentMethod.removed_at.is_(None))
        .order_by(PaymentMethod.is_default.desc(), PaymentMethod.id)))


def save_card(client: Client, processor: PaymentProcessor, setup_reference: str) -> PaymentMethod | None:
    """The card the client just added on the processor's page (once, however often they come back)."""
    existing = db.session.scalar(select(PaymentMethod).where(PaymentMethod.setup_reference == setup_reference))
    if existing is not None:
        return existing if existing.client_id == client.id else None
    card = processor.finish_card_setup(setup_reference)
    if card is None:
        return None
    method = PaymentMethod(workspace_id=client.workspace_id, client_id=client.id, processor=processor.name,
                           token=card.token, setup_reference=setup_reference, brand=card.brand, last4=card.last4,
                           exp_month=card.exp_month, exp_year=card.exp_year, is_default=not saved_cards(client),
                           created_at=clock.now())
    db.session.add(method)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(select(PaymentMethod).where(PaymentMethod.setup_reference == setup_reference))
    record("payment_method.added", workspace_id=client.workspace_id, client_id=client.id,
           subject_type="payment_method", subject_id=method.id)
    return method


def remove_card(method: PaymentMethod, processor: PaymentProcessor) -> None:
    if method.removed_at is not None:
        return
    processor.remove_card(method.token)
    method.removed_at, was_default, method.is_default = clock.now(), method.is_default, False
    if was_default and (rest := [card for card in saved_cards(method_client(method)) if card.id != method.id]):
        rest[0].is_default = True
    record("payment_method.removed", workspace_id=method.workspace_id, client_id=method.client_id,
           subject_type="payment_method", subject_id=method.id)


def method_client(method: PaymentMethod) -> Client:
    return db.session.get(Client, method.client_id)


def make_default(method: PaymentMethod) -> None:
    for card in saved_cards(method_client(method)):
        card.is_default = card.id == method.id


# --- paying by card ------------------------------------------------------------------------------------------

def pay_by_card(invoice: Invoice, method: PaymentMethod, processor: PaymentProcessor, idempotency_key: str,
                return_url: str) -> Payment:
    """Charge the invoice's balance to a saved card, once per key. A decline leaves the invoice Due."""
    already = db.session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    if already is not None and already.invoice_id == invoice.id:
        return already  # a double click or a retry: the same payment, charged once
    if not invoice.payable:
        raise BillingRefused({"invoice": f"This invoice is {invoice.status(clock.now().date()).lower()}: "
                                         "it cannot be paid."})
    if method.client_id != invoice.client_id or method.removed_at is not None:
        raise BillingRefused({"method": "Choose one of your saved cards."})
    amount = invoice.total_cents - paid_so_far(invoice)
    payment, new = _new_payment(Payment(
        workspace_id=invoice.workspace_id, client_id=invoice.client_id, invoice_id=invoice.id,
        payment_method_id=method.id, method="card", status="pending", amount_cents=amount,
        currency=invoice.currency, refunded_cents=0, idempotency_key=idempotency_key, created_at=clock.now()))
    if not new:
        return payment
    db.session.commit()  # the key is taken before the processor is asked, so a retry finds it
    try:
        charge = processor.charge(customer=customer_for(method_client(method), processor), card=method.token,
                                  amount_minor=amount, currency=invoice.currency, idempotency_key=idempotency_key,
                                  description=f"Invoice {invoice.number}", return_url=return_url)
    except ProcessorError:
        payment = db.session.get(Payment, payment.id)
        payment.status = "error"
        db.session.add(PaymentAttempt(workspace_id=payment.workspace_id, payment_id=payment.id, outcome="error",
                                      decline_message="The card processor could not be reached. Try again.",
                                      created_at=clock.now()))
        db.session.commit()
        raise
    payment = db.session.get(Payment, payment.id)
    apply_charge(payment, charge)
    return payment


def apply_charge(payment: Payment, charge: Charge) -> None:
    """Record what the processor says of `payment`; applying the same outcome twice changes nothing twice."""
    if payment.processor_reference is None:
        payment.processor_reference = charge.reference
    if payment.status == charge.status or payment.status == "succeeded":
        return
    payment.status = charge.status
    db.session.add(PaymentAttempt(workspace_id=payment.workspace_id, payment_id=payment.id, outcome=charge.status,
                                  decline_message=charge.decline_message, created_at=clock.now()))
    if charge.status == "succeeded":
        payment.succeeded_at = clock.now()
        record("payment.succeeded", workspace_id=payment.workspace_id, client_id=payment.client_id,
               subject_type="payment", subject_id=payment.id, detail="card")
        _settle(db.session.get(Invoice, payment.invoice_id))
    elif charge.status == "declined":
        record("payment.declined", workspace_id=payment.workspace_id, client_id=payment.client_id,
               subject_type="payment", subject_id=payment.id)
    db.session.commit()


def latest_decline(payment: Payment) -> str | None:
    return db.session.scalar(select(PaymentAttempt.decline_message).where(
        PaymentAttempt.payment_id == payment.id, PaymentAttempt.outcome.in_(("declined", "error")))
        .order_by(PaymentAttempt.id.desc()).limit(1))


def apply_event(event: Event, processor: PaymentProcessor) -> None:
    """A verified webhook, applied once however often (or early) it arrives."""
    db.session.add(ProcessorEvent(processor=processor.name, event_id=event.id, received_at=clock.now()))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return
    if event.payment_reference is None or event.kind == "other":
        return
    payment = db.session.scalar(select(Payment).where(Payment.processor_reference == event.payment_reference))
    if payment is not None:
        apply_charge(payment, processor.charge_status(event.payment_reference))


def refund_payment(payment: Payment, processor: PaymentProcessor, amount_cents: int, idempotency_key: str,
                   recorded_by_id: int | None = None) -> Refund:
    """Give back part or all of a card payment, once per key."""
    existing = db.session.scalar(select(Refund).where(Refund.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    if payment.method != "card" or payment.status != "succeeded":
        raise BillingRefused({"payment": "Only a card payment that went through can be refunded here."})
    if amount_cents <= 0:
        raise BillingRefused({"amount": "The refund must be more than zero."})
    if amount_cents > payment.amount_cents - payment.refunded_cents:
        raise BillingRefused({"amount": "That is more than is left of this payment."})
    given = processor.refund(payment=payment.processor_reference, amount_minor=amount_cents,
                             idempotency_key=idempotency_key)
    refund = Refund(workspace_id=payment.workspace_id, payment_id=payment.id, amount_cents=given.amount_minor,
                    processor_reference=given.reference, idempotency_key=idempotency_key,
                    recorded_by_id=recorded_by_id, created_at=clock.now())
    db.session.add(refund)
    payment.refunded_cents += given.amount_minor
    db.session.flush()
    record("payment.refunded", workspace_id=payment.workspace_id, client_id=payment.client_id,
           subject_type="payment", subject_id=payment.id)
    db.session.commit()
    return refund
