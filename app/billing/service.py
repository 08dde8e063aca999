"""What staff and clients do with invoices and payments. Every call that moves money is idempotent: the caller's
key is stored under a unique constraint and passed on to the processor, so a double click or a retry charges once.

Calls that happen at the same moment are kept apart by the database, not by reading first: a payment takes its
invoice's row lock before it reads the balance, a refund takes its amount with a conditional UPDATE, and one
invoice has at most one card payment in flight or made (a partial unique index, migration 0025)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
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
from app.db import db, insert_on_conflict
from app.tenancy import repeat_of

log = logging.getLogger(__name__)

CURRENCIES = ("USD", "CAD", "EUR", "GBP", "AUD", "NZD")
ALREADY_BEING_PAID = "This invoice is already being paid."
MAX_TAX_BASIS_POINTS = 5000  # 50 %
ANSWER_AWAITED = timedelta(minutes=10)  # a card payment pending longer than this lost the process asking for it
KEY_REMEMBERED = timedelta(hours=23)  # processors keep an idempotency key a day: past that, asking again could charge
RESUMED_PER_SWEEP = 100
PROCESSOR_UNREACHED = "The card processor could not be reached. Try again."


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


def _hold_invoice(invoice: Invoice) -> None:
    """Take the invoice row's write lock for this transaction and re-read it, so that two payments at once see
    each other's. An UPDATE, not SELECT ... FOR UPDATE: on SQLite it takes the database's write lock."""
    db.session.execute(update(Invoice).where(Invoice.id == invoice.id).values(id=Invoice.id)
                       .execution_options(synchronize_session=False))
    db.session.refresh(invoice)


def _refuse(errors: dict[str, str]) -> None:
    """Give up the transaction (and the locks it holds), writing nothing, and say why."""
    db.session.rollback()
    raise BillingRefused(errors)


def _not_payable(invoice: Invoice) -> dict[str, str]:
    return {"invoice": f"This invoice is {invoice.status(clock.now().date()).lower()}: it cannot be paid."}


def _new_payment(payment: Payment) -> tuple[Payment | None, bool]:
    """Insert `payment`, or return the one already made with its idempotency key (and False); None (and False)
    when the invoice already has a card payment under way. Losing the race to another request rolls this one's
    transaction back: call it before changing anything else."""
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
    """Cash or a bank transfer taken outside Porch (on `received_at`, by default now), once per key, never more
    than is left to pay (the balance is read under the invoice's lock, so two recorded at once cannot overpay)."""
    already = db.session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    if already is not None and already.invoice_id == invoice.id:
        return already
    _hold_invoice(invoice)
    already = db.session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    if already is not None and already.invoice_id == invoice.id:
        db.session.rollback()
        return already
    errors = {}
    if method not in PAYMENT_METHODS or method == "card":
        errors["method"] = "Choose cash or bank transfer."
    if amount_cents <= 0:
        errors["amount"] = "The amount must be more than zero."
    elif amount_cents > invoice.total_cents - paid_so_far(invoice):
        errors["amount"] = "That is more than is left to pay on this invoice."
    if not invoice.payable:
        errors.update(_not_payable(invoice))
    if errors:
        _refuse(errors)
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

def _stored_customer(client: Client, processor: PaymentProcessor) -> str | None:
    return db.session.scalar(select(ProcessorCustomer.customer).where(
        ProcessorCustomer.client_id == client.id, ProcessorCustomer.processor == processor.name))


def customer_for(client: Client, processor: PaymentProcessor) -> str:
    """The client's customer id at the processor, made the first time. Two first times at once both ask the
    processor, but only the first id is kept (INSERT ... ON CONFLICT DO NOTHING) and both return it."""
    if (found := _stored_customer(client, processor)) is not None:
        return found
    customer = processor.create_customer(reference=f"porch-client-{client.id}", email=None)
    db.session.execute(insert_on_conflict(ProcessorCustomer).values(
        workspace_id=client.workspace_id, client_id=client.id, processor=processor.name, customer=customer)
        .on_conflict_do_nothing())
    db.session.commit()
    return _stored_customer(client, processor)


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
    """Charge the invoice's balance to a saved card, once per key. A decline leaves the invoice Due. A second
    payment of the same invoice while one is under way or made (another tab, another key) is refused."""
    already = db.session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    if already is not None and already.invoice_id == invoice.id:
        return already  # a double click or a retry: the same payment, charged once
    if method.client_id != invoice.client_id or method.removed_at is not None:
        raise BillingRefused({"method": "Choose one of your saved cards."})
    _hold_invoice(invoice)
    if not invoice.payable:
        _refuse(_not_payable(invoice))
    amount = invoice.total_cents - paid_so_far(invoice)
    payment, new = _new_payment(Payment(
        workspace_id=invoice.workspace_id, client_id=invoice.client_id, invoice_id=invoice.id,
        payment_method_id=method.id, method="card", status="pending", amount_cents=amount,
        currency=invoice.currency, refunded_cents=0, idempotency_key=idempotency_key, created_at=clock.now()))
    if payment is None:
        raise BillingRefused({"invoice": ALREADY_BEING_PAID})
    if not new:
        return payment
    db.session.commit()  # the key is taken before the processor is asked, so a retry (or the sweep) finds it
    try:
        charge = _charge(payment, processor, return_url)
    except ProcessorError:
        _record_unreachable(db.session.get(Payment, payment.id))
        raise
    payment = db.session.get(Payment, payment.id)
    apply_charge(payment, charge)
    return payment


def _charge(payment: Payment, processor: PaymentProcessor, return_url: str) -> Charge:
    """Ask the processor to charge `payment` under its own key: asked twice, it charges once."""
    method = db.session.get(PaymentMethod, payment.payment_method_id)
    invoice = db.session.get(Invoice, payment.invoice_id)
    return processor.charge(customer=customer_for(method_client(method), processor), card=method.token,
                            amount_minor=payment.amount_cents, currency=payment.currency,
                            idempotency_key=payment.idempotency_key, description=f"Invoice {invoice.number}",
                            return_url=return_url)


def _record_unreachable(payment: Payment) -> None:
    payment.status = "error"
    db.session.add(PaymentAttempt(workspace_id=payment.workspace_id, payment_id=payment.id, outcome="error",
                                  decline_message=PROCESSOR_UNREACHED, created_at=clock.now()))
    db.session.commit()


def resume_card_payments(processor: PaymentProcessor, return_url_for: Callable[[Payment], str]) -> None:
    """Card payments left pending by a process that died before it heard the processor's answer (they hold their
    invoice, so nobody could pay it): the processor is asked again under the payment's own key, which charges at
    most once, and its answer is recorded. Unanswered for a day, the payment is given up as an error."""
    now = clock.now()
    stale = list(db.session.scalars(
        select(Payment.id).where(Payment.method == "card", Payment.status == "pending",
                                 Payment.created_at <= now - ANSWER_AWAITED)
        .order_by(Payment.id).limit(RESUMED_PER_SWEEP)))
    for payment_id in stale:
        payment = db.session.get(Payment, payment_id)
        try:
            charge = (processor.charge_status(payment.processor_reference) if payment.processor_reference
                      else _charge(payment, processor, return_url_for(payment)))
        except ProcessorError:
            db.session.rollback()
            log.warning("card payment %s: the processor did not answer; asking again on the next sweep", payment_id)
            payment = db.session.get(Payment, payment_id)
            if payment.status == "pending" and payment.created_at <= now - KEY_REMEMBERED:
                _record_unreachable(payment)
            continue
        apply_charge(payment, charge)


def apply_charge(payment: Payment, charge: Charge) -> None:
    """Record what the processor says of `payment`; applying the same outcome twice changes nothing twice."""
    _apply_charge(payment, charge)
    db.session.commit()


def _apply_charge(payment: Payment, charge: Charge) -> None:
    """The status moves with a conditional UPDATE, so that the return from the processor's page and its webhook
    arriving at the same moment record the outcome (attempt, audit row, paid invoice) once."""
    if payment.processor_reference is None:
        payment.processor_reference = charge.reference
        db.session.flush()
    moved = db.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status.not_in((charge.status, "succeeded")))
        .values(status=charge.status).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(payment)
    if not moved:
        return
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


def latest_decline(payment: Payment) -> str | None:
    return db.session.scalar(select(PaymentAttempt.decline_message).where(
        PaymentAttempt.payment_id == payment.id, PaymentAttempt.outcome.in_(("declined", "error")))
        .order_by(PaymentAttempt.id.desc()).limit(1))


def apply_event(event: Event, processor: PaymentProcessor) -> None:
    """A verified webhook, applied once however often (or early) it arrives. The event is marked handled in the
    same transaction that applies it, so a failure between the two leaves it to be applied when it comes again;
    the same event twice at once meets the unique (processor, event_id) and the second changes nothing."""
    if db.session.scalar(select(exists().where(ProcessorEvent.processor == processor.name,
                                               ProcessorEvent.event_id == event.id))):
        return
    applies = event.payment_reference is not None and event.kind != "other"
    charge = processor.charge_status(event.payment_reference) if applies else None  # asked before writing
    db.session.add(ProcessorEvent(processor=processor.name, event_id=event.id, received_at=clock.now()))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return
    payment = db.session.scalar(select(Payment).where(Payment.processor_reference == event.payment_reference)) \
        if applies else None
    if payment is not None:
        _apply_charge(payment, charge)
    db.session.commit()


def refund_payment(payment: Payment, processor: PaymentProcessor, amount_cents: int, idempotency_key: str,
                   recorded_by_id: int | None = None) -> Refund:
    """Give back part or all of a card payment, once per key. The amount is taken from what is left of the payment
    by a conditional UPDATE before the processor is asked, so refunds at the same moment never give back more
    than was paid; if the processor fails, the amount is put back."""
    existing = db.session.scalar(select(Refund).where(Refund.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    if payment.method != "card" or payment.status != "succeeded":
        raise BillingRefused({"payment": "Only a card payment that went through can be refunded here."})
    if amount_cents <= 0:
        raise BillingRefused({"amount": "The refund must be more than zero."})
    refund = Refund(workspace_id=payment.workspace_id, payment_id=payment.id, amount_cents=amount_cents,
                    idempotency_key=idempotency_key, recorded_by_id=recorded_by_id, created_at=clock.now())
    db.session.add(refund)
    try:
        db.session.flush()
    except IntegrityError:  # the same key at the same moment: that refund is this one
        db.session.rollback()
        return db.session.scalar(select(Refund).where(Refund.idempotency_key == idempotency_key))
    if not _take_from_payment(payment.id, amount_cents):
        _refuse({"amount": "That is more than is left of this payment."})
    refund_id, payment_id, reference = refund.id, payment.id, payment.processor_reference
    db.session.commit()
    try:
        given = processor.refund(payment=reference, amount_minor=amount_cents, idempotency_key=idempotency_key)
    except ProcessorError:
        db.session.rollback()
        _take_from_payment(payment_id, -amount_cents)
        db.session.execute(delete(Refund).where(Refund.id == refund_id))
        db.session.commit()
        raise
    refund = db.session.get(Refund, refund_id)
    refund.processor_reference = given.reference
    record("payment.refunded", workspace_id=refund.workspace_id, client_id=payment.client_id,
           subject_type="payment", subject_id=payment_id)
    db.session.commit()
    return refund


def _take_from_payment(payment_id: int, amount_cents: int) -> bool:
    """Add `amount_cents` to what was refunded of the payment, unless that would be more than was paid."""
    return db.session.execute(
        update(Payment).where(Payment.id == payment_id,
                              Payment.refunded_cents + amount_cents <= Payment.amount_cents)
        .values(refunded_cents=Payment.refunded_cents + amount_cents)
        .execution_options(synchronize_session=False)).rowcount == 1
