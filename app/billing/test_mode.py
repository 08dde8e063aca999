"""A payment processor for trying Porch out: no money moves, and no real card can be typed in.

Cards are added on its own page, served by Porch and labelled "Test mode". It accepts only these numbers
(any future expiry, any CVC):

    4242 4242 4242 4242   succeeds
    4000 0000 0000 0002   declined: "Your card was declined."
    4000 0000 0000 9995   declined: "Your card has insufficient funds."
    4000 0027 6000 3184   asks the client to confirm the payment (the 3-D Secure pattern) on a page of its own

Every other number is refused before anything is stored, so a real card number is never kept. Its state lives in
Porch's database (tables test_processor_*), so it works across web and worker processes. Webhooks it signs with
HMAC-SHA256 over the body, in the header X-Test-Processor-Signature.
"""

import hashlib
import hmac
import json
import secrets
from datetime import datetime

from flask import Blueprint, abort, current_app, has_request_context, redirect, request, url_for
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.billing.processor import CardOnFile, CardSetup, Charge, Event, ProcessorError, Refund
from app.db import db
from app.pages import render

SIGNATURE_HEADER = "X-Test-Processor-Signature"

# The documented test numbers and what each does. Nothing else is accepted.
TEST_CARDS = {
    "4242424242424242": ("succeeds", None),
    "4000000000000002": ("declines", "Your card was declined."),
    "4000000000009995": ("declines", "Your card has insufficient funds."),
    "4000002760003184": ("requires_action", None),
}
REFUSED_NUMBER = ("Test mode takes only its test card numbers, such as 4242 4242 4242 4242. "
                  "Never type a real card number here.")


class TestProcessorCustomer(db.Model):
    __tablename__ = "test_processor_customers"
    __test__ = False

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reference: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class TestProcessorSetup(db.Model):
    __tablename__ = "test_processor_setups"
    __test__ = False

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("test_processor_customers.id"))
    return_url: Mapped[str] = mapped_column(String(2000))
    card_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]


class TestProcessorCard(db.Model):
    __tablename__ = "test_processor_cards"
    __test__ = False

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("test_processor_customers.id"))
    behaviour: Mapped[str] = mapped_column(String(20))  # succeeds, declines, requires_action
    decline_message: Mapped[str | None] = mapped_column(String(255))
    brand: Mapped[str] = mapped_column(String(20))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int]
    exp_year: Mapped[int]
    detached: Mapped[bool] = mapped_column(default=False)


class TestProcessorCharge(db.Model):
    __tablename__ = "test_processor_charges"
    __test__ = False

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    card_id: Mapped[str] = mapped_column(String(40))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    decline_message: Mapped[str | None] = mapped_column(String(255))
    return_url: Mapped[str] = mapped_column(String(2000))
    refunded_minor: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class TestProcessorRefund(db.Model):
    __tablename__ = "test_processor_refunds"
    __test__ = False

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    charge_id: Mapped[str] = mapped_column(ForeignKey("test_processor_charges.id"))
    amount_minor: Mapped[int]
    created_at: Mapped[datetime]


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(18)}"


def _page_url(endpoint: str, **values) -> str:
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context(base_url=current_app.config["PORCH_BASE_URL"]):
        return url_for(endpoint, **values, _external=True)


def webhook_secret() -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"test-processor-webhooks", hashlib.sha256).digest()


def sign(payload: bytes) -> str:
    return hmac.new(webhook_secret(), payload, hashlib.sha256).hexdigest()


def event_payload(charge: TestProcessorCharge) -> bytes:
    kind = {"succeeded": "payment_succeeded", "declined": "payment_failed"}.get(charge.status, "other")
    return json.dumps({"id": f"evt_{charge.id}_{charge.status}", "kind": kind, "payment_reference": charge.id,
                       "decline_message": charge.decline_message}).encode()


def _charge_of(row: TestProcessorCharge) -> Charge:
    action_url = _page_url("test_processor.confirm", reference=row.id) if row.status == "requires_action" else None
    return Charge(status=row.status, reference=row.id, decline_message=row.decline_message, action_url=action_url)


class TestModeProcessor:
    """The PaymentProcessor contract, kept in Porch's own database."""

    __test__ = False
    name = "test"
    test_mode = True

    def create_customer(self, *, reference: str, email: str | None) -> str:
        customer = TestProcessorCustomer(id=_new_id("cus"), reference=reference, created_at=clock.now())
        db.session.add(customer)
        db.session.commit()
        return customer.id

    def start_card_setup(self, *, customer: str, return_url: str) -> CardSetup:
        if db.session.get(TestProcessorCustomer, customer) is None:
            raise ProcessorError("No such customer.")
        setup = TestProcessorSetup(id=_new_id("seti"), customer_id=customer, return_url=return_url,
                                   created_at=clock.now())
        db.session.add(setup)
        db.session.commit()
        return CardSetup(reference=setup.id, redirect_url=_page_url("test_processor.card", reference=setup.id))

    def finish_card_setup(self, reference: str) -> CardOnFile | None:
        setup = db.session.get(TestProcessorSetup, reference)
        if setup is None or setup.card_id is None:
            return None
        card = db.session.get(TestProcessorCard, setup.card_id)
        return CardOnFile(token=card.id, brand=card.brand, last4=card.last4, exp_month=card.exp_month,
                          exp_year=card.exp_year)

    def remove_card(self, token: str) -> None:
        card = db.session.get(TestProcessorCard, token)
        if card is not None:
            card.detached = True
            db.session.commit()

    def charge(self, *, customer: str, card: str, amount_minor: int, currency: str, idempotency_key: str,
               description: str, return_url: str) -> Charge:
        existing = db.session.scalar(select(TestProcessorCharge).filter_by(idempotency_key=idempotency_key))
        if existing is not None:
            return _charge_of(existing)
        saved = db.session.get(TestProcessorCard, card)
        if saved is None or saved.detached or saved.customer_id != customer:
            raise ProcessorError("No such card for this customer.")
        if amount_minor <= 0:
            raise ProcessorError("The amount must be more than zero.")
        status = {"succeeds": "succeeded", "declines": "declined"}.get(saved.behaviour, "requires_action")
        row = TestProcessorCharge(id=_new_id("pi"), idempotency_key=idempotency_key, customer_id=customer,
                                  card_id=card, amount_minor=amount_minor, currency=currency.upper(), status=status,
                                  decline_message=saved.decline_message, return_url=return_url,
                                  created_at=clock.now())
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError:  # the same key, at the same moment, from another process
            db.session.rollback()
            row = db.session.scalar(select(TestProcessorCharge).filter_by(idempotency_key=idempotency_key))
        return _charge_of(row)

    def charge_status(self, reference: str) -> Charge:
        row = db.session.get(TestProcessorCharge, reference)
        if row is None:
            raise ProcessorError("No such payment.")
        return _charge_of(row)

    def refund(self, *, payment: str, amount_minor: int, idempotency_key: str) -> Refund:
        existing = db.session.scalar(select(TestProcessorRefund).filter_by(idempotency_key=idempotency_key))
        if existing is not None:
            return Refund(reference=existing.id, amount_minor=existing.amount_minor)
        charge = db.session.get(TestProcessorCharge, payment)
        if charge is None or charge.status != "succeeded":
            raise ProcessorError("Only a succeeded payment can be refunded.")
        if amount_minor <= 0 or amount_minor > charge.amount_minor - charge.refunded_minor:
            raise ProcessorError("The refund is more than what is left of the payment.")
        row = TestProcessorRefund(id=_new_id("re"), idempotency_key=idempotency_key, charge_id=charge.id,
                                  amount_minor=amount_minor, created_at=clock.now())
        charge.refunded_minor += amount_minor
        db.session.add(row)
        db.session.commit()
        return Refund(reference=row.id, amount_minor=amount_minor)

    def parse_event(self, payload: bytes, headers: dict[str, str]) -> Event:
        given = next((value for key, value in headers.items() if key.lower() == SIGNATURE_HEADER.lower()), "")
        if not given or not hmac.compare_digest(given, sign(payload)):
            raise ProcessorError("The webhook signature does not match.")
        try:
            body = json.loads(payload)
            kind = body["kind"] if body["kind"] in ("payment_succeeded", "payment_failed") else "other"
            return Event(id=str(body["id"]), kind=kind, payment_reference=body.get("payment_reference"),
                         decline_message=body.get("decline_message"))
        except (ValueError, KeyError, TypeError) as error:
            raise ProcessorError("The webhook body is not an event.") from error


# --- its pages: adding a card, confirming a payment ----------------------------------------------------------

bp = Blueprint("test_processor", __name__, url_prefix="/test-processor")


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def card_errors(number: str, expiry: str, cvc: str, today: datetime) -> tuple[dict[str, str], tuple[int, int] | None]:
    """What is wrong with the typed card, by field; and the expiry (month, year) when it is right."""
    errors: dict[str, str] = {}
    if _digits(number) not in TEST_CARDS:
        errors["number"] = REFUSED_NUMBER
    when = None
    parts = expiry.replace(" ", "").split("/")
    if len(parts) == 2 and all(part.isdigit() for part in parts) and 1 <= int(parts[0]) <= 12:
        month, year = int(parts[0]), int(parts[1])
        year = year + 2000 if year < 100 else year
        if (year, month) < (today.year, today.month):
            errors["expiry"] = "This card has expired."
        else:
            when = (month, year)
    else:
        errors["expiry"] = "Enter the expiry as MM/YY, for example 12/34."
    if not (3 <= len(_digits(cvc)) <= 4 and _digits(cvc) == cvc.strip()):
        errors["cvc"] = "Enter the 3 or 4 digits on the back of the card."
    return errors, when


@bp.route("/cards/<reference>", methods=["GET", "POST"])
def card(reference: str):
    setup = db.session.get(TestProcessorSetup, reference)
    if setup is None:
        abort(404)
    if setup.card_id is not None:
        return redirect(setup.return_url, 303)
    if request.method == "GET":
        return render("billing/test_mode_card.html", setup=setup, errors={}, expiry="", cancel_url=setup.return_url)
    if request.form.get("action") == "cancel":
        return redirect(setup.return_url, 303)
    number = request.form.get("number", "")
    expiry = request.form.get("expiry", "")
    errors, when = card_errors(number, expiry, request.form.get("cvc", ""), clock.now())
    if errors:
        # The number is never echoed back, logged or stored.
        return render("billing/test_mode_card.html", setup=setup, errors=errors, expiry=expiry,
                      cancel_url=setup.return_url, http_status=422)
    behaviour, message = TEST_CARDS[_digits(number)]
    saved = TestProcessorCard(id=_new_id("pm"), customer_id=setup.customer_id, behaviour=behaviour,
                              decline_message=message, brand="Visa", last4=_digits(number)[-4:],
                              exp_month=when[0], exp_year=when[1])
    db.session.add(saved)
    setup.card_id = saved.id
    db.session.commit()
    return redirect(setup.return_url, 303)


@bp.route("/payments/<reference>/confirm", methods=["GET", "POST"])
def confirm(reference: str):
    charge = db.session.get(TestProcessorCharge, reference)
    if charge is None:
        abort(404)
    if charge.status != "requires_action":
        return redirect(charge.return_url, 303)
    if request.method == "GET":
        return render("billing/test_mode_confirm.html", charge=charge)
    if request.form.get("action") == "confirm":
        charge.status = "succeeded"
    else:
        charge.status, charge.decline_message = "declined", "You did not confirm the payment with your bank."
    db.session.commit()
    return redirect(charge.return_url, 303)
