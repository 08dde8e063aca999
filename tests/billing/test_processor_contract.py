"""One contract, every adapter: what Porch's billing code may rely on from any payment processor.

Stripe runs through the real `stripe` library against a real HTTP server on 127.0.0.1 replaying Stripe's
documented responses (see stripe_replay.py); the server checks what was sent. Each adapter case gives the test
its own way to do what the client does on the processor's page: enter a card, pass the 3-D Secure step.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from app.billing.processor import CardOnFile, CardSetup, PaymentProcessor, ProcessorError
from app.billing.processors import current_processor
from app.billing.stripe_processor import StripeProcessor
from app.billing.test_mode import SIGNATURE_HEADER, TestModeProcessor, sign
from app.config import load_settings
from tests.billing.stripe_replay import SECRET_KEY, StripeReplay, fixture, serve

WEBHOOK_SECRET = "whsec_porchcontract"
VISA, DECLINED, NO_FUNDS, THREE_DS = "4242424242424242", "4000000000000002", "4000000000009995", "4000002760003184"
RETURN = "http://porch.localhost/portal/billing/return"


@dataclass
class Case:
    processor: PaymentProcessor
    enter_card: Callable[[CardSetup, str], None]  # the client types a card number on the processor's page
    complete_action: Callable[[str], None]  # the client passes the confirmation step for a payment reference
    # (kind, payment, stale) -> a signed webhook; None for stale when the adapter's scheme has no timestamp
    signed_event: Callable[[str, str, bool], tuple[bytes, dict[str, str]] | None]
    replay: StripeReplay | None = None


def stripe_signed(event_id: str):
    def sign(kind: str, payment: str, stale: bool) -> tuple[bytes, dict[str, str]]:
        event = fixture("event_payment_intent_succeeded")
        event["id"] = event_id
        event["type"] = {"payment_succeeded": "payment_intent.succeeded",
                         "payment_failed": "payment_intent.payment_failed"}[kind]
        event["data"]["object"]["id"] = payment
        if kind == "payment_failed":
            event["data"]["object"].update(status="requires_payment_method",
                                           last_payment_error={"message": "Your card was declined."})
        payload = json.dumps(event).encode()
        stamp = int(time.time()) - (600 if stale else 0)
        mac = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
        return payload, {"Stripe-Signature": f"t={stamp},v1={mac}"}
    return sign


@pytest.fixture
def stripe_case():
    replay = StripeReplay()
    server = serve(replay)
    host, port = server.server_address[:2]
    processor = StripeProcessor(secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET,
                                api_base=f"http://{host}:{port}", max_network_retries=0)
    yield Case(
        processor=processor,
        enter_card=lambda setup, number: replay.enter_card(setup.reference, number),
        complete_action=replay.complete_action,
        signed_event=stripe_signed("evt_3MtwBwLkdIwHu7ix0uyAOpDw"),
        replay=replay,
    )
    server.shutdown()
    server.server_close()
    assert replay.mismatches == [], "the adapter sent requests Stripe would not expect"


@pytest.fixture
def test_mode_case(visitor):
    def enter_card(setup: CardSetup, number: str) -> None:
        page = urlsplit(setup.redirect_url).path
        answer = visitor.post(page, {"number": number, "expiry": "12/39", "cvc": "123", "action": "save"})
        assert answer.status_code == 303

    def complete_action(reference: str) -> None:
        answer = visitor.post(f"/test-processor/payments/{reference}/confirm", {"action": "confirm"})
        assert answer.status_code == 303

    def signed_event(kind: str, payment: str, stale: bool):
        if stale:
            return None
        payload = json.dumps({"id": f"evt_{payment}_{kind}", "kind": kind, "payment_reference": payment,
                              "decline_message": "Your card was declined." if kind == "payment_failed" else None})
        return payload.encode(), {SIGNATURE_HEADER: sign(payload.encode())}

    return Case(processor=TestModeProcessor(), enter_card=enter_card, complete_action=complete_action,
                signed_event=signed_event)


ADAPTERS = ["stripe_case", "test_mode_case"]


@pytest.fixture(params=ADAPTERS)
def case(request, migrated_database) -> Case:
    # migrated_database is named here so the test processor (which lives in Porch's database) runs on each backend
    return request.getfixturevalue(request.param)


def saved_card(case: Case, number: str = VISA) -> tuple[str, CardOnFile]:
    customer = case.processor.create_customer(reference="client-7", email="client@example.com")
    setup = case.processor.start_card_setup(customer=customer, return_url=RETURN)
    case.enter_card(setup, number)
    card = case.processor.finish_card_setup(setup.reference)
    assert card is not None
    return customer, card


def pay(case: Case, customer: str, card: CardOnFile, key: str = "invoice-1-try-1", amount: int = 2000):
    return case.processor.charge(customer=customer, card=card.token, amount_minor=amount, currency="USD",
                                 idempotency_key=key, description="Invoice INV-0001", return_url=RETURN)


def test_names_itself_and_says_test_mode(case):
    assert case.processor.name in ("test", "stripe")
    assert case.processor.test_mode is True


def test_customer(case):
    first = case.processor.create_customer(reference="client-1", email="one@example.com")
    other = case.processor.create_customer(reference="client-2", email=None)
    assert first and other and first != other
    if case.replay:
        sent = case.replay.calls("POST", "/v1/customers")
        assert sent[0].form["email"] == "one@example.com"
        assert sent[0].form["metadata[porch_reference]"] == "client-1"
        assert "email" not in sent[1].form


def test_card_setup_start_and_finish(case):
    customer = case.processor.create_customer(reference="client-7", email=None)
    setup = case.processor.start_card_setup(customer=customer, return_url=RETURN)
    assert setup.reference and setup.redirect_url
    assert case.processor.finish_card_setup(setup.reference) is None  # came back without entering a card
    case.enter_card(setup, VISA)
    card = case.processor.finish_card_setup(setup.reference)
    assert card is not None
    assert (card.brand, card.last4) == ("Visa", "4242")
    assert 1 <= card.exp_month <= 12 and card.exp_year >= 2025
    assert VISA not in repr(card)
    if case.replay:
        sent = case.replay.calls("POST", "/v1/checkout/sessions")[0].form
        assert sent["mode"] == "setup" and sent["customer"] == customer
        assert sent["success_url"] == RETURN and sent["cancel_url"] == RETURN


def test_charge_succeeds(case):
    customer, card = saved_card(case)
    charge = pay(case, customer, card)
    assert charge.status == "succeeded" and charge.reference
    assert charge.decline_message is None and charge.action_url is None
    assert case.processor.charge_status(charge.reference).status == "succeeded"
    if case.replay:
        sent = case.replay.calls("POST", "/v1/payment_intents")[0]
        assert sent.headers["idempotency-key"] == "invoice-1-try-1"
        assert sent.form["amount"] == "2000" and sent.form["currency"] == "usd"
        assert sent.form["customer"] == customer and sent.form["payment_method"] == card.token
        assert sent.form["confirm"] == "true" and sent.form["return_url"] == RETURN


@pytest.mark.parametrize("number, message", [
    (DECLINED, "Your card was declined."),
    (NO_FUNDS, "Your card has insufficient funds."),
])
def test_charge_declined_says_why(case, number, message):
    customer, card = saved_card(case, number)
    charge = pay(case, customer, card)
    assert charge.status == "declined" and charge.reference
    assert charge.decline_message == message
    assert charge.action_url is None


def test_requires_action_then_succeeds_after_confirmation(case):
    customer, card = saved_card(case, THREE_DS)
    charge = pay(case, customer, card)
    assert charge.status == "requires_action"
    assert charge.action_url
    assert case.processor.charge_status(charge.reference).status == "requires_action"
    case.complete_action(charge.reference)
    assert case.processor.charge_status(charge.reference).status == "succeeded"


def test_same_idempotency_key_charges_once(case):
    customer, card = saved_card(case)
    first = pay(case, customer, card, key="invoice-9-try-1")
    again = pay(case, customer, card, key="invoice-9-try-1")
    other = pay(case, customer, card, key="invoice-9-try-2")
    assert first.reference == again.reference
    assert other.reference != first.reference
    if case.replay:
        made = {seen.headers["idempotency-key"] for seen in case.replay.calls("POST", "/v1/payment_intents")}
        assert made == {"invoice-9-try-1", "invoice-9-try-2"}
        assert len(case.replay.intents) == 2


def test_partial_then_full_refund(case):
    customer, card = saved_card(case)
    charge = pay(case, customer, card, amount=5000)
    part = case.processor.refund(payment=charge.reference, amount_minor=2000, idempotency_key="refund-1")
    assert part.amount_minor == 2000 and part.reference
    assert case.processor.refund(payment=charge.reference, amount_minor=2000, idempotency_key="refund-1") == part
    rest = case.processor.refund(payment=charge.reference, amount_minor=3000, idempotency_key="refund-2")
    assert rest.amount_minor == 3000 and rest.reference != part.reference
    with pytest.raises(ProcessorError):
        case.processor.refund(payment=charge.reference, amount_minor=1, idempotency_key="refund-3")
    if case.replay:
        sent = case.replay.calls("POST", "/v1/refunds")[0]
        assert sent.form == {"payment_intent": charge.reference, "amount": "2000"}
        assert sent.headers["idempotency-key"] == "refund-1"


def test_remove_card_twice_is_fine_and_it_cannot_be_charged(case):
    customer, card = saved_card(case)
    case.processor.remove_card(card.token)
    case.processor.remove_card(card.token)  # already gone: not an error
    with pytest.raises(ProcessorError):
        pay(case, customer, card)


def test_webhook_with_good_signature_is_an_event(case):
    customer, card = saved_card(case)
    charge = pay(case, customer, card)
    payload, headers = case.signed_event("payment_succeeded", charge.reference, False)
    event = case.processor.parse_event(payload, headers)
    assert (event.kind, event.payment_reference) == ("payment_succeeded", charge.reference)
    again = case.processor.parse_event(payload, headers)
    assert again.id == event.id  # a second delivery is recognisable by its id
    failed = case.processor.parse_event(*case.signed_event("payment_failed", charge.reference, False))
    assert failed.kind == "payment_failed" and failed.decline_message


def test_webhook_with_bad_or_stale_signature_is_refused(case):
    payload, headers = case.signed_event("payment_succeeded", "pi_x", False)
    tampered = payload.replace(b"pi_x", b"pi_y")
    with pytest.raises(ProcessorError):
        case.processor.parse_event(tampered, headers)
    with pytest.raises(ProcessorError):
        case.processor.parse_event(payload, {})
    stale = case.signed_event("payment_succeeded", "pi_x", True)
    if stale is not None:
        with pytest.raises(ProcessorError):
            case.processor.parse_event(*stale)


def test_unreachable_processor_is_a_processor_error():
    processor = StripeProcessor(secret_key=SECRET_KEY, api_base="http://127.0.0.1:9", max_network_retries=0)
    with pytest.raises(ProcessorError):
        processor.create_customer(reference="client-1", email=None)


def test_live_key_is_not_test_mode():
    assert StripeProcessor(secret_key="sk_live_x").test_mode is False
    with pytest.raises(ProcessorError):
        StripeProcessor(secret_key="")


def test_config_chooses_stripe(make_app):
    app = make_app(PORCH_PAYMENT_PROCESSOR="stripe", STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                   STRIPE_API_BASE="http://127.0.0.1:9")
    with app.app_context():
        chosen = current_processor()
    assert isinstance(chosen, StripeProcessor)
    assert (chosen.name, chosen.test_mode, chosen.webhook_secret) == ("stripe", True, WEBHOOK_SECRET)


def test_stripe_settings_come_from_the_environment(tmp_path):
    settings = load_settings({"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1"}, tmp_path)
    assert (settings["STRIPE_SECRET_KEY"], settings["STRIPE_WEBHOOK_SECRET"]) == ("sk_test_1", "whsec_1")
    assert settings["STRIPE_API_BASE"] == "https://api.stripe.com"
    assert load_settings({"STRIPE_API_BASE": "http://127.0.0.1:12111"}, tmp_path)["STRIPE_API_BASE"] == \
        "http://127.0.0.1:12111"
