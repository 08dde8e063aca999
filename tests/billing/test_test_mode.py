"""The test-mode processor keeps the PaymentProcessor contract, on its own pages and in Porch's database."""

import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from app.billing.processor import ProcessorError
from app.billing.processors import current_processor
from app.billing.test_mode import SIGNATURE_HEADER, TestModeProcessor, TestProcessorCharge, event_payload, sign
from app.db import db

RETURN = "http://127.0.0.1:5000/portal/billing/methods/back"


@pytest.fixture
def processor(app):
    return TestModeProcessor()


def add_card(visitor, processor, number: str, expiry: str = "12/39", cvc: str = "123"):
    customer = processor.create_customer(reference="client-1", email=None)
    setup = processor.start_card_setup(customer=customer, return_url=RETURN)
    page = urlsplit(setup.redirect_url).path
    form = visitor.get(page)
    assert form.status_code == 200 and "Test mode" in form.get_data(as_text=True)
    answer = visitor.post(page, {"number": number, "expiry": expiry, "cvc": cvc, "action": "save"})
    return customer, setup, answer


def charge(processor, customer, token, key="key-1", amount=9500):
    return processor.charge(customer=customer, card=token, amount_minor=amount, currency="USD", idempotency_key=key,
                            description="Invoice BP-1002", return_url=RETURN)


def test_the_default_processor_is_test_mode(app):
    chosen = current_processor()
    assert chosen.name == "test" and chosen.test_mode is True


def test_the_success_card_is_saved_as_a_label_and_charges_once_per_key(visitor, processor):
    customer, setup, answer = add_card(visitor, processor, "4242 4242 4242 4242")
    assert answer.status_code == 303 and answer.headers["Location"] == RETURN
    card = processor.finish_card_setup(setup.reference)
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("Visa", "4242", 12, 2039)
    first = charge(processor, customer, card.token)
    again = charge(processor, customer, card.token)
    assert first.status == "succeeded" and again.reference == first.reference
    assert db.session.query(TestProcessorCharge).count() == 1
    assert charge(processor, customer, card.token, key="key-2").reference != first.reference


@pytest.mark.parametrize("number, message", [
    ("4000 0000 0000 0002", "Your card was declined."),
    ("4000000000009995", "Your card has insufficient funds."),
])
def test_the_decline_cards_decline_with_their_reason(visitor, processor, number, message):
    customer, setup, _ = add_card(visitor, processor, number)
    result = charge(processor, customer, processor.finish_card_setup(setup.reference).token)
    assert (result.status, result.decline_message) == ("declined", message)


def test_the_confirmation_card_asks_on_its_own_page(visitor, processor):
    customer, setup, _ = add_card(visitor, processor, "4000 0027 6000 3184")
    result = charge(processor, customer, processor.finish_card_setup(setup.reference).token)
    assert result.status == "requires_action" and result.action_url
    page = urlsplit(result.action_url).path
    assert "Confirm your payment" in visitor.get(page).get_data(as_text=True)
    assert visitor.post(page, {"action": "confirm"}).headers["Location"] == RETURN
    assert processor.charge_status(result.reference).status == "succeeded"


@pytest.mark.parametrize("number", ["4111 1111 1111 1111", "5555555555554444", "4242", ""])
def test_every_other_number_is_refused_and_never_stored(visitor, processor, number):
    _, setup, answer = add_card(visitor, processor, number)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Never type a real card number here." in page
    assert 'name="number" type="text" inputmode="numeric" value=""' in page  # never echoed back
    assert processor.finish_card_setup(setup.reference) is None
    count = db.session.execute(text("SELECT count(*) FROM test_processor_cards")).scalar()
    assert count == 0


def test_an_expired_card_or_bad_cvc_is_told_next_to_its_field(visitor, processor):
    _, _, answer = add_card(visitor, processor, "4242424242424242", expiry="01/20", cvc="1")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="card-expiry-error">This card has expired.' in page
    assert 'id="card-cvc-error">' in page


def test_the_card_form_needs_csrf(visitor, processor):
    customer = processor.create_customer(reference="client-1", email=None)
    setup = processor.start_card_setup(customer=customer, return_url=RETURN)
    answer = visitor.post(urlsplit(setup.redirect_url).path, {"number": "4242424242424242"}, csrf=False)
    assert answer.status_code == 400


def test_refunds_are_idempotent_and_bounded(visitor, processor):
    customer, setup, _ = add_card(visitor, processor, "4242424242424242")
    paid = charge(processor, customer, processor.finish_card_setup(setup.reference).token)
    part = processor.refund(payment=paid.reference, amount_minor=4000, idempotency_key="r-1")
    assert processor.refund(payment=paid.reference, amount_minor=4000, idempotency_key="r-1") == part
    with pytest.raises(ProcessorError):
        processor.refund(payment=paid.reference, amount_minor=6000, idempotency_key="r-2")
    assert processor.refund(payment=paid.reference, amount_minor=5500, idempotency_key="r-3").amount_minor == 5500


def test_a_removed_card_cannot_be_charged_and_removing_twice_is_fine(visitor, processor):
    customer, setup, _ = add_card(visitor, processor, "4242424242424242")
    token = processor.finish_card_setup(setup.reference).token
    processor.remove_card(token)
    processor.remove_card(token)
    processor.remove_card("pm_gone")
    with pytest.raises(ProcessorError):
        charge(processor, customer, token)


def test_events_are_verified_by_their_signature(visitor, processor):
    customer, setup, _ = add_card(visitor, processor, "4242424242424242")
    paid = charge(processor, customer, processor.finish_card_setup(setup.reference).token)
    payload = event_payload(db.session.get(TestProcessorCharge, paid.reference))
    event = processor.parse_event(payload, {SIGNATURE_HEADER.lower(): sign(payload)})
    assert (event.kind, event.payment_reference) == ("payment_succeeded", paid.reference)
    with pytest.raises(ProcessorError):
        processor.parse_event(payload, {SIGNATURE_HEADER: "0" * 64})
    with pytest.raises(ProcessorError):
        processor.parse_event(payload, {})
    forged = json.dumps({**json.loads(payload), "payment_reference": "pi_other"}).encode()
    with pytest.raises(ProcessorError):
        processor.parse_event(forged, {SIGNATURE_HEADER: sign(payload)})
