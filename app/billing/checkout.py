"""What a client does with their invoices in the portal: see them, pay them with a saved or a new card, and keep
their cards. Money moves only through app.billing.service, once per idempotency key."""

from dataclasses import dataclass

from sqlalchemy import select

from app.billing import service
from app.billing.models import Invoice, Payment, PaymentMethod
from app.billing.processor import PaymentProcessor, ProcessorError
from app.clients.models import Client
from app.db import db
from app.paging import KeysetPage, keyset_page_of

INVOICES_PER_PAGE = 20
UNREACHABLE = "The card processor could not be reached. Nothing was charged; try again in a moment."


@dataclass(frozen=True)
class Outcome:
    """How paying went, for the page: paid, declined (with the processor's reason), or a confirmation step."""

    payment: Payment | None
    status: str  # succeeded, declined, requires_action, pending, error
    message: str | None = None
    action_url: str | None = None


def invoices_of(client: Client, cursor: str | None) -> KeysetPage:
    """The client's invoices, newest first, a page at a time; drafts are the practice's own until sent."""
    query = select(Invoice).where(Invoice.workspace_id == client.workspace_id, Invoice.client_id == client.id,
                                  Invoice.is_draft.is_(False))
    return keyset_page_of(query, [Invoice.issued_on, Invoice.id], cursor, INVOICES_PER_PAGE,
                          scope=f"portal-invoices-{client.id}", descending=True)


def payments_of(invoice: Invoice) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)
                                   .order_by(Payment.created_at, Payment.id)))


def repeat_of(invoice: Invoice, key: str) -> Payment | None:
    """The payment this form already made (a double click, a retry after a dropped connection), if any."""
    if not key:
        return None
    return db.session.scalar(select(Payment).where(Payment.invoice_id == invoice.id, Payment.idempotency_key == key))


def cards_by_id(cards: list[PaymentMethod]) -> dict[int, PaymentMethod]:
    return {card.id: card for card in cards}


def why_not_payable(invoice: Invoice, today) -> str | None:
    """The sentence to show when the invoice cannot be paid (paid, void), or None when it can."""
    if invoice.payable:
        return None
    status = invoice.status(today)
    if status == "Paid":
        return "This invoice is already paid: there is nothing left to pay."
    if status == "Void":
        return "This invoice was cancelled by your practice: it cannot be paid."
    return "This invoice is not ready to be paid yet."


def pay(invoice: Invoice, card: PaymentMethod, processor: PaymentProcessor, key: str, return_url: str) -> Outcome:
    """Charge the invoice to `card` once per `key`; raises service.BillingRefused when it cannot be paid."""
    try:
        payment = service.pay_by_card(invoice, card, processor, key, return_url)
    except ProcessorError:
        return Outcome(None, "error", UNREACHABLE)
    return outcome_of(payment, processor)


def outcome_of(payment: Payment, processor: PaymentProcessor) -> Outcome:
    if payment.status in ("declined", "error"):
        return Outcome(payment, payment.status, service.latest_decline(payment) or UNREACHABLE)
    if payment.status == "requires_action":
        try:
            action_url = processor.charge_status(payment.processor_reference).action_url
        except ProcessorError:
            return Outcome(payment, "error", UNREACHABLE)
        return Outcome(payment, "requires_action", action_url=action_url)
    return Outcome(payment, payment.status)


def payment_awaiting_confirmation(invoice: Invoice) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.invoice_id == invoice.id,
                                                   Payment.status == "requires_action")
                             .order_by(Payment.id.desc()).limit(1))


def confirmation_returned(invoice: Invoice, processor: PaymentProcessor) -> Outcome | None:
    """Back from the processor's confirmation step: what the processor now says of the payment (a webhook may
    have told us first; applying it again changes nothing)."""
    payment = payment_awaiting_confirmation(invoice)
    if payment is None:
        latest = db.session.scalar(select(Payment).where(Payment.invoice_id == invoice.id, Payment.method == "card")
                                   .order_by(Payment.id.desc()).limit(1))
        return outcome_of(latest, processor) if latest is not None else None
    try:
        service.apply_charge(payment, processor.charge_status(payment.processor_reference))
    except ProcessorError:
        return Outcome(payment, "error", UNREACHABLE)
    return outcome_of(db.session.get(Payment, payment.id), processor)


def start_adding_card(client: Client, processor: PaymentProcessor, return_url: str) -> tuple[str, str]:
    """(setup reference, the processor's page to send the client to)."""
    setup = processor.start_card_setup(customer=service.customer_for(client, processor), return_url=return_url)
    return setup.reference, setup.redirect_url


def finish_adding_card(client: Client, processor: PaymentProcessor, reference: str) -> PaymentMethod | None:
    """The card saved by that setup (once, however often the client comes back), or None if they gave up."""
    card = service.save_card(client, processor, reference)
    db.session.commit()
    return card
