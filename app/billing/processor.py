"""What Porch asks of a payment processor. Card numbers stay with the processor: Porch keeps a token and a label.

Adding a card and confirming a payment (3-D Secure) happen on the processor's own page: Porch sends the client
there and reads the outcome when they come back. Every call that moves money carries an idempotency key, so a
retry after a dropped connection charges once.
"""

from dataclasses import dataclass
from typing import Literal, Protocol

ChargeStatus = Literal["succeeded", "declined", "requires_action"]


class ProcessorError(Exception):
    """The processor could not be reached or refused the request itself (not a card decline)."""


@dataclass(frozen=True)
class CardOnFile:
    """All Porch stores about a card."""

    token: str  # the processor's id for the saved card (a Stripe PaymentMethod id, a test-processor token)
    brand: str  # "Visa"
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class CardSetup:
    """Where to send the client to add a card, and the processor's reference to finish it on their return."""

    reference: str
    redirect_url: str


@dataclass(frozen=True)
class Charge:
    status: ChargeStatus
    reference: str  # the processor's id for this payment (a PaymentIntent id)
    decline_message: str | None = None  # what to tell the client, e.g. "Your card was declined."
    action_url: str | None = None  # where the client confirms the payment when status is requires_action


@dataclass(frozen=True)
class Refund:
    reference: str
    amount_minor: int


@dataclass(frozen=True)
class Event:
    """A verified webhook: a payment's new state, told by the processor."""

    id: str  # the processor's event id, to apply it once
    kind: Literal["payment_succeeded", "payment_failed", "other"]
    payment_reference: str | None
    decline_message: str | None = None


class PaymentProcessor(Protocol):
    name: str  # "test" or "stripe"
    test_mode: bool  # the pages say "test mode" when true

    def create_customer(self, *, reference: str, email: str | None) -> str:
        """The processor's customer id for one client (`reference` is Porch's own, PHI-free)."""

    def start_card_setup(self, *, customer: str, return_url: str) -> CardSetup:
        """Begin adding a card on the processor's page; the client comes back to `return_url`."""

    def finish_card_setup(self, reference: str) -> CardOnFile | None:
        """The card saved by the setup `reference`, or None when the client gave up or it failed."""

    def remove_card(self, token: str) -> None:
        """Detach a saved card; a card already gone is not an error."""

    def charge(self, *, customer: str, card: str, amount_minor: int, currency: str, idempotency_key: str,
               description: str, return_url: str) -> Charge:
        """Charge a saved card. The same idempotency key returns the same charge, never a second one."""

    def charge_status(self, reference: str) -> Charge:
        """The charge as the processor sees it now (after the client's confirmation step, or for a webhook)."""

    def refund(self, *, payment: str, amount_minor: int, idempotency_key: str) -> Refund:
        """Give back part or all of a succeeded charge."""

    def parse_event(self, payload: bytes, headers: dict[str, str]) -> Event:
        """A webhook, verified by its signature; raises ProcessorError when it cannot be verified."""
