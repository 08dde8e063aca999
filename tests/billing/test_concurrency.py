"""Money moved by two requests at the same moment: each pair runs in two threads, each with its own app context and
database session, released together by a barrier, on SQLite and on PostgreSQL."""

import threading

import pytest
from sqlalchemy import func, select

from app.billing import service
from app.billing.models import (
    Invoice,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    ProcessorCustomer,
    ProcessorEvent,
    Refund,
)
from app.billing.service import ALREADY_BEING_PAID, BillingRefused
from app.billing.test_mode import (
    SIGNATURE_HEADER,
    TestModeProcessor,
    TestProcessorCharge,
    TestProcessorCustomer,
    TestProcessorRefund,
    event_payload,
    sign,
)
from app.clients.models import Client
from app.db import db
from tests.billing.test_service import saved_card, sent_invoice


@pytest.fixture
def processor(app):
    return TestModeProcessor()


def at_once(app, *calls) -> list:
    """Run each call in a thread of its own, all released together; what each returned or raised, in order."""
    start, outcomes = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        with app.app_context():
            start.wait(timeout=30)
            try:
                outcomes[index] = call()
            except Exception as error:  # noqa: BLE001 — the test looks at what each one met
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    return outcomes


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def paid(practice, processor, visitor) -> int:
    """The id of a $95 card payment that went through."""
    invoice, card = sent_invoice(practice), saved_card(practice, processor, visitor)
    return service.pay_by_card(invoice, card, processor, "pay-1", "/portal/billing").id


def refund(payment_id: int, amount: int, key: str):
    def call():
        return service.refund_payment(db.session.get(Payment, payment_id), TestModeProcessor(), amount, key).id
    return call


def test_it_never_refunds_more_than_was_paid_when_two_refunds_come_at_once(app, paid):
    outcomes = at_once(app, refund(paid, 6000, "refund-1"), refund(paid, 6000, "refund-2"))
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["BillingRefused", "int"]
    refused = next(outcome for outcome in outcomes if isinstance(outcome, BillingRefused))
    assert refused.errors == {"amount": "That is more than is left of this payment."}
    assert db.session.get(Payment, paid).refunded_cents == 6000
    assert db.session.scalar(select(func.sum(Refund.amount_cents))) == 6000
    assert count(TestProcessorRefund) == 1


def test_it_makes_one_refund_of_two_with_one_key_at_once(app, paid):
    outcomes = at_once(app, refund(paid, 2500, "refund-1"), refund(paid, 2500, "refund-1"))
    assert all(isinstance(outcome, int) for outcome in outcomes) and len(set(outcomes)) == 1
    assert count(Refund) == 1 and count(TestProcessorRefund) == 1
    assert db.session.get(Payment, paid).refunded_cents == 2500


def test_it_puts_the_amount_back_when_the_processor_fails_a_refund(app, paid, monkeypatch):
    from app.billing.processor import ProcessorError

    def unreachable(self, **_):
        raise ProcessorError("The card processor could not be reached.")

    monkeypatch.setattr(TestModeProcessor, "refund", unreachable)
    with pytest.raises(ProcessorError):
        refund(paid, 2500, "refund-1")()
    assert db.session.get(Payment, paid).refunded_cents == 0 and count(Refund) == 0


def test_it_keeps_one_processor_customer_when_two_first_times_come_at_once(app, practice):
    client_id = practice.aisha.id

    def first_time():
        return service.customer_for(db.session.get(Client, client_id), TestModeProcessor())

    outcomes = at_once(app, first_time, first_time)
    assert all(isinstance(outcome, str) for outcome in outcomes) and len(set(outcomes)) == 1
    assert count(ProcessorCustomer) == 1
    assert db.session.scalar(select(ProcessorCustomer.customer)) == outcomes[0]
    assert db.session.get(TestProcessorCustomer, outcomes[0]) is not None


def test_it_never_records_more_than_the_balance_when_two_outside_payments_come_at_once(app, practice):
    invoice_id = sent_invoice(practice).id

    def cash(key):
        def call():
            payment = service.record_outside_payment(db.session.get(Invoice, invoice_id), "cash", 6000, key)
            db.session.commit()
            return payment.id
        return call

    outcomes = at_once(app, cash("cash-1"), cash("cash-2"))
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["BillingRefused", "int"]
    refused = next(outcome for outcome in outcomes if isinstance(outcome, BillingRefused))
    assert refused.errors == {"amount": "That is more than is left to pay on this invoice."}
    assert db.session.scalar(select(func.sum(Payment.amount_cents))) == 6000


def test_it_records_one_outside_payment_of_two_with_one_key_at_once(app, practice):
    invoice_id = sent_invoice(practice).id

    def cash():
        payment = service.record_outside_payment(db.session.get(Invoice, invoice_id), "cash", 9500, "cash-1")
        db.session.commit()
        return payment.id

    outcomes = at_once(app, cash, cash)
    assert all(isinstance(outcome, int) for outcome in outcomes) and len(set(outcomes)) == 1
    assert count(Payment) == 1 and db.session.get(Invoice, invoice_id).paid_at is not None


@pytest.fixture
def waiting_for_the_bank(practice, processor, visitor) -> tuple[int, bytes]:
    """A payment the client confirmed with the bank, whose webhook has not come yet: its id and the webhook."""
    invoice, card = sent_invoice(practice), saved_card(practice, processor, visitor, "4000002760003184")
    payment = service.pay_by_card(invoice, card, processor, "pay-1", "/portal/billing")
    charge = db.session.get(TestProcessorCharge, payment.processor_reference)
    charge.status = "succeeded"
    db.session.commit()
    return payment.id, event_payload(charge)


def deliver(payload: bytes):
    def call():
        processor = TestModeProcessor()
        service.apply_event(processor.parse_event(payload, {SIGNATURE_HEADER: sign(payload)}), processor)
    return call


def test_it_applies_one_webhook_delivered_twice_at_once_once(app, waiting_for_the_bank):
    payment_id, payload = waiting_for_the_bank
    assert at_once(app, deliver(payload), deliver(payload)) == [None, None]
    assert count(ProcessorEvent) == 1
    assert count(PaymentAttempt, PaymentAttempt.outcome == "succeeded") == 1
    assert db.session.get(Payment, payment_id).status == "succeeded"


def test_it_records_the_outcome_once_when_the_webhook_and_the_return_come_at_once(app, waiting_for_the_bank):
    payment_id, payload = waiting_for_the_bank

    def back_from_the_bank():
        payment = db.session.get(Payment, payment_id)
        service.apply_charge(payment, TestModeProcessor().charge_status(payment.processor_reference))

    assert at_once(app, deliver(payload), back_from_the_bank) == [None, None]
    assert count(PaymentAttempt, PaymentAttempt.outcome == "succeeded") == 1
    invoice = db.session.get(Invoice, db.session.get(Payment, payment_id).invoice_id)
    assert invoice.paid_at is not None


def test_it_leaves_a_webhook_that_failed_half_way_to_be_applied_when_it_comes_again(app, waiting_for_the_bank,
                                                                                    monkeypatch):
    payment_id, payload = waiting_for_the_bank

    def crash(payment, charge):
        raise RuntimeError("the worker died here")

    with monkeypatch.context() as patched:
        patched.setattr(service, "_apply_charge", crash)
        with pytest.raises(RuntimeError):
            deliver(payload)()
    db.session.rollback()
    assert count(ProcessorEvent) == 0
    deliver(payload)()
    assert count(ProcessorEvent) == 1 and db.session.get(Payment, payment_id).status == "succeeded"


def test_it_charges_one_invoice_once_when_two_tabs_pay_it_at_once(app, practice, processor, visitor):
    invoice_id, card_id = sent_invoice(practice).id, saved_card(practice, processor, visitor).id

    def pay(key):
        return lambda: service.pay_by_card(db.session.get(Invoice, invoice_id), db.session.get(PaymentMethod, card_id),
                                           TestModeProcessor(), key, "/portal/billing").id

    outcomes = at_once(app, pay("tab-1"), pay("tab-2"))
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["BillingRefused", "int"]
    refused = next(outcome for outcome in outcomes if isinstance(outcome, BillingRefused))
    assert refused.errors["invoice"] in (ALREADY_BEING_PAID, "This invoice is paid: it cannot be paid.")
    assert count(Payment) == 1 and count(TestProcessorCharge) == 1
    assert db.session.get(Invoice, invoice_id).paid_at is not None


def test_it_refuses_a_second_card_payment_while_one_is_under_way(practice, processor, visitor):
    invoice, card = sent_invoice(practice), saved_card(practice, processor, visitor, "4000002760003184")
    assert service.pay_by_card(invoice, card, processor, "tab-1", "/portal/billing").status == "requires_action"
    with pytest.raises(BillingRefused) as refused:
        service.pay_by_card(invoice, card, processor, "tab-2", "/portal/billing")
    assert refused.value.errors == {"invoice": ALREADY_BEING_PAID}
    assert count(Payment) == 1 and count(TestProcessorCharge) == 1


def test_it_lets_the_invoice_be_paid_again_after_a_decline(practice, processor, visitor):
    invoice = sent_invoice(practice)
    declined = saved_card(practice, processor, visitor, "4000000000000002")
    assert service.pay_by_card(invoice, declined, processor, "try-1", "/portal/billing").status == "declined"
    good = saved_card(practice, processor, visitor)
    assert service.pay_by_card(invoice, good, processor, "try-2", "/portal/billing").status == "succeeded"
    assert db.session.get(Invoice, invoice.id).paid_at is not None
