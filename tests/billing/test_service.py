"""Invoices and payments: validation writes nothing, money moves once per key, declines leave the invoice Due."""

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from app import clock
from app.audit.models import AuditEvent
from app.billing import service
from app.billing.models import Invoice, Payment, PaymentAttempt, PaymentMethod, latest_invoice
from app.billing.processor import ProcessorError
from app.billing.service import BillingRefused, Line
from app.billing.test_mode import SIGNATURE_HEADER, TestModeProcessor, TestProcessorCharge, event_payload, sign
from app.db import db
from jobs.sweeps import run_sweeps

SESSION = [Line("Individual session", 1, 9500)]
TODAY = date(2026, 12, 3)


@pytest.fixture
def processor(app):
    return TestModeProcessor()


def sent_invoice(practice, lines=SESSION, **options) -> Invoice:
    invoice = service.create_invoice(practice.aisha, "USD", TODAY, date(2026, 12, 17), lines, **options)
    service.send_invoice(invoice)
    db.session.commit()
    return invoice


def saved_card(practice, processor, visitor, number="4242424242424242"):
    customer = service.customer_for(practice.aisha, processor)
    setup = processor.start_card_setup(customer=customer, return_url="/portal/billing")
    page = urlsplit(setup.redirect_url).path
    visitor.post(page, {"number": number, "expiry": "12/39", "cvc": "123", "action": "save"})
    card = service.save_card(practice.aisha, processor, setup.reference)
    db.session.commit()
    return card


@pytest.mark.parametrize("lines, currency, field", [
    ([Line("Session", 1, 0)], "USD", "lines-0-unit_price"),
    ([Line("Session", 1, -500)], "USD", "lines-0-unit_price"),
    ([Line("Session", 0, 9500)], "USD", "lines-0-quantity"),
    ([Line("Session", 100_000, 9500)], "USD", "lines-0-quantity"),
    ([Line(" ", 1, 9500)], "USD", "lines-0-description"),
    ([], "USD", "lines"),
    (SESSION, "EUR", "currency"),
    (SESSION, "XYZ", "currency"),
])
def test_a_wrong_invoice_is_refused_by_field_and_nothing_is_written(practice, lines, currency, field):
    with pytest.raises(BillingRefused) as refused:
        service.create_invoice(practice.aisha, currency, TODAY, date(2026, 12, 17), lines)
    assert field in refused.value.errors
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_tax_is_added_and_a_draft_stays_off_the_home_card_until_sent(practice):
    invoice = service.create_invoice(practice.aisha, "USD", TODAY, date(2026, 12, 17),
                                     [Line("Session", 2, 9500), Line("Workbook", 1, 1999)], tax_basis_points=825)
    db.session.commit()
    assert (invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents) == (20999, 1732, 22731)
    assert invoice.status(TODAY) == "Draft" and latest_invoice(practice.aisha.id) is None
    service.send_invoice(invoice)
    db.session.commit()
    assert latest_invoice(practice.aisha.id) == invoice
    assert invoice.status(TODAY) == "Due" and invoice.status(date(2026, 12, 18)) == "Overdue"


def test_a_line_description_is_encrypted_at_rest(practice):
    sent_invoice(practice, [Line("Trauma-focused therapy", 1, 9500)])
    stored = db.session.execute(text("SELECT description FROM invoice_lines")).scalar_one()
    assert "Trauma" not in stored


def test_a_card_payment_pays_the_invoice_once_however_often_it_is_asked(practice, processor, visitor):
    invoice, card = sent_invoice(practice), saved_card(practice, processor, visitor)
    first = service.pay_by_card(invoice, card, processor, "pay-1", "/portal/billing")
    again = service.pay_by_card(invoice, card, processor, "pay-1", "/portal/billing")
    assert first.id == again.id and first.status == "succeeded"
    assert db.session.scalar(select(func.count()).select_from(TestProcessorCharge)) == 1
    assert db.session.get(Invoice, invoice.id).status(TODAY) == "Paid"
    with pytest.raises(BillingRefused):
        service.pay_by_card(invoice, card, processor, "pay-2", "/portal/billing")
    assert "payment.succeeded" in db.session.scalars(select(AuditEvent.action)).all()


@pytest.mark.parametrize("number, message", [("4000000000000002", "Your card was declined."),
                                             ("4000000000009995", "Your card has insufficient funds.")])
def test_a_declined_card_leaves_the_invoice_due_and_records_why(practice, processor, visitor, number, message):
    invoice, card = sent_invoice(practice), saved_card(practice, processor, visitor, number)
    payment = service.pay_by_card(invoice, card, processor, "pay-1", "/portal/billing")
    assert payment.status == "declined" and service.latest_decline(payment) == message
    assert db.session.get(Invoice, invoice.id).status(TODAY) == "Due"
    attempt = db.session.scalar(select(PaymentAttempt))
    assert (attempt.outcome, attempt.decline_message) == ("declined", message)


def test_a_webhook_twice_or_before_the_return_changes_nothing_twice(practice, processor, visitor):
    invoice, card = sent_invoice(practice), saved_card(practice, processor, visitor, "4000002760003184")
    payment = service.pay_by_card(invoice, card, processor, "pay-1", "/portal/billing")
    assert payment.status == "requires_action"
    charge = db.session.get(TestProcessorCharge, payment.processor_reference)
    charge.status = "succeeded"
    db.session.commit()
    payload = event_payload(charge)
    for _ in range(2):
        service.apply_event(processor.parse_event(payload, {SIGNATURE_HEADER: sign(payload)}), processor)
    service.apply_charge(db.session.get(Payment, payment.id), processor.charge_status(payment.processor_reference))
    assert db.session.scalar(select(func.count()).select_from(PaymentAttempt)
                             .where(PaymentAttempt.outcome == "succeeded")) == 1
    assert db.session.get(Invoice, invoice.id).paid_at is not None


def test_void_and_paid_invoices_cannot_be_paid(practice, processor, visitor):
    invoice, card = sent_invoice(practice), saved_card(practice, processor, visitor)
    service.void_invoice(invoice)
    db.session.commit()
    with pytest.raises(BillingRefused):
        service.pay_by_card(invoice, card, processor, "pay-1", "/portal/billing")
    with pytest.raises(BillingRefused):
        service.record_outside_payment(invoice, "cash", 9500, "cash-1")


def test_cash_and_bank_transfers_are_recorded_and_bounded(practice):
    invoice = sent_invoice(practice)
    with pytest.raises(BillingRefused) as refused:
        service.record_outside_payment(invoice, "cash", 20000, "cash-1")
    assert "amount" in refused.value.errors
    service.record_outside_payment(invoice, "bank_transfer", 5000, "bank-1")
    service.record_outside_payment(invoice, "bank_transfer", 5000, "bank-1")
    assert db.session.get(Invoice, invoice.id).paid_at is None
    service.record_outside_payment(invoice, "cash", 4500, "cash-2")
    db.session.commit()
    assert db.session.get(Invoice, invoice.id).status(TODAY) == "Paid"


def test_a_card_payment_is_refunded_in_part_then_in_full_once_per_key(practice, processor, visitor):
    invoice, card = sent_invoice(practice), saved_card(practice, processor, visitor)
    payment = service.pay_by_card(invoice, card, processor, "pay-1", "/portal/billing")
    service.refund_payment(payment, processor, 2500, "refund-1")
    service.refund_payment(payment, processor, 2500, "refund-1")
    assert payment.refunded_cents == 2500
    with pytest.raises(BillingRefused):
        service.refund_payment(payment, processor, 9000, "refund-2")
    service.refund_payment(payment, processor, 7000, "refund-3")
    assert payment.refunded_cents == 9500


def test_saved_cards_keep_one_default_and_removal_is_audited(practice, processor, visitor):
    first = saved_card(practice, processor, visitor)
    second = saved_card(practice, processor, visitor, "4000000000000002")
    assert first.is_default and not second.is_default
    service.make_default(second)
    service.remove_card(second, processor)
    db.session.commit()
    assert [card.id for card in service.saved_cards(practice.aisha)] == [first.id] and first.is_default
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("payment_method.added") == 2 and "payment_method.removed" in actions
    assert clock.now()


def test_two_payments_with_one_key_at_the_same_moment_charge_once(app, practice, processor, visitor):
    import threading

    invoice, card = sent_invoice(practice), saved_card(practice, processor, visitor)
    invoice_id, card_id = invoice.id, card.id
    start, outcomes = threading.Barrier(2), []

    def pay():
        with app.app_context():
            from app.billing.models import PaymentMethod

            start.wait()
            payment = service.pay_by_card(db.session.get(Invoice, invoice_id), db.session.get(PaymentMethod, card_id),
                                          TestModeProcessor(), "double-click", "/portal/billing")
            outcomes.append(payment.id)
            db.session.remove()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert len(outcomes) == 2 and len(set(outcomes)) == 1
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    assert db.session.scalar(select(func.count()).select_from(TestProcessorCharge)) == 1


class DiesBeforeAsking(TestModeProcessor):
    """The process ends (a deploy, a crash) after the payment is recorded, before the processor hears of it."""

    def charge(self, **request):
        raise SystemExit


class DiesBeforeHearing(TestModeProcessor):
    """The processor charges the card, and the process ends before it records the answer."""

    def charge(self, **request):
        super().charge(**request)
        raise SystemExit


class Unreachable(TestModeProcessor):
    def charge(self, **request):
        raise ProcessorError("connection refused")


def payment_cut_short(practice, visitor, dying: TestModeProcessor) -> tuple[Invoice, Payment]:
    invoice, card = sent_invoice(practice), saved_card(practice, dying, visitor)
    with pytest.raises(SystemExit):
        service.pay_by_card(invoice, card, dying, "pay-1", "/portal/billing")
    db.session.rollback()
    return invoice, db.session.scalar(select(Payment))


def resume(processor) -> None:
    service.resume_card_payments(processor, lambda payment: "/portal/billing")


@pytest.mark.parametrize("dying", [DiesBeforeAsking(), DiesBeforeHearing()], ids=["before asking", "before hearing"])
def test_a_payment_whose_process_died_is_finished_by_the_sweep_and_charged_once(practice, processor, visitor, dying):
    clock.freeze(datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    invoice, payment = payment_cut_short(practice, visitor, dying)
    assert payment.status == "pending"
    card = db.session.get(PaymentMethod, payment.payment_method_id)
    with pytest.raises(BillingRefused, match=service.ALREADY_BEING_PAID):  # it holds the invoice meanwhile
        service.pay_by_card(invoice, card, processor, "pay-2", "/portal/billing")

    resume(processor)  # a payment still under way in another process is left alone
    assert db.session.get(Payment, payment.id).status == "pending"

    clock.advance(service.ANSWER_AWAITED)
    run_sweeps()
    run_sweeps()
    assert db.session.get(Payment, payment.id).status == "succeeded"
    assert db.session.scalar(select(func.count()).select_from(TestProcessorCharge)) == 1
    assert db.session.get(Invoice, invoice.id).status(TODAY) == "Paid"
    assert db.session.scalars(select(AuditEvent.action)).all().count("payment.succeeded") == 1


def test_a_payment_the_processor_never_answers_is_given_up_after_a_day_and_the_invoice_can_be_paid(
        practice, processor, visitor):
    clock.freeze(datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    invoice, payment = payment_cut_short(practice, visitor, DiesBeforeAsking())
    clock.advance(service.ANSWER_AWAITED)
    resume(Unreachable())
    assert db.session.get(Payment, payment.id).status == "pending"  # asked again on the next sweep

    clock.advance(service.KEY_REMEMBERED)
    resume(Unreachable())
    assert db.session.get(Payment, payment.id).status == "error"
    assert service.latest_decline(payment) == service.PROCESSOR_UNREACHED
    card = db.session.get(PaymentMethod, payment.payment_method_id)
    assert service.pay_by_card(invoice, card, processor, "pay-2", "/portal/billing").status == "succeeded"
    assert db.session.scalar(select(func.count()).select_from(TestProcessorCharge)) == 1
