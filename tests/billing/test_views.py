"""Invoices on the staff side: the client record's list, the new-invoice form, the invoice page and its actions."""

import uuid
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app import clock
from app.audit.models import AuditEvent
from app.billing import service
from app.billing.models import Invoice, InvoiceLine, Payment, Refund
from app.billing.service import Line
from app.billing.test_mode import TestModeProcessor
from app.db import db
from app.mail import OutboxEmail
from tests.conftest import make_client, make_portal_account, run_jobs

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York, where the practice is
SESSION = [Line("Individual session", 1, 9500)]


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(NOW)


def invoice_form(**fields) -> dict:
    data = {"request_key": str(uuid.uuid4()), "currency": "USD", "issued_on": "2026-12-03", "due_on": "2026-12-17",
            "tax": "", "action": "draft", "lines-0-description": "Individual session", "lines-0-quantity": "1",
            "lines-0-unit_price": "95.00"}
    for row in range(1, 5):
        data.update({f"lines-{row}-description": "", f"lines-{row}-quantity": "", f"lines-{row}-unit_price": ""})
    data.update(fields)
    return data


def invoices() -> int:
    return db.session.scalar(select(func.count(Invoice.id)))


def an_invoice(client, sent: bool = True, lines=SESSION) -> Invoice:
    invoice = service.create_invoice(client, "USD", date(2026, 12, 3), date(2026, 12, 17), lines)
    if sent:
        service.send_invoice(invoice)
    db.session.commit()
    return invoice


def page_of(client, invoice) -> str:
    return f"/clients/{client.id}/invoices/{invoice.id}"


def actions() -> list[str]:
    return db.session.scalars(select(AuditEvent.action)).all()


# --- the client record and the lists --------------------------------------------------------------

def test_it_lists_the_latest_invoices_on_the_client_record_and_links_to_all(practice, as_user):
    made = [an_invoice(practice.aisha) for _ in range(11)]
    service.void_invoice(made[0])
    db.session.commit()
    carlos = as_user(practice.carlos)
    record = carlos.get(f"/clients/{practice.aisha.id}")
    body = record.get_data(as_text=True)
    assert record.status_code == 200
    assert 'id="invoices-title">Invoices</h2>' in body and "New invoice" in body
    assert made[-1].number in body and made[0].number not in body  # the latest ten
    assert "$95.00" in body and ">Due</span>" in body
    assert f'href="/clients/{practice.aisha.id}/invoices">All invoices' in body
    listed = carlos.get(f"/clients/{practice.aisha.id}/invoices")
    assert listed.status_code == 200
    text = listed.get_data(as_text=True)
    assert "Invoices for Aisha Rahman" in text and made[0].number in text and ">Void</span>" in text


def test_it_pages_the_list_of_all_invoices(practice, as_user, monkeypatch):
    from app.billing import invoices as module

    monkeypatch.setattr(module, "INVOICES_PER_PAGE", 2)
    made = [an_invoice(practice.aisha) for _ in range(3)]
    carlos = as_user(practice.carlos)
    first = carlos.get(f"/clients/{practice.aisha.id}/invoices").get_data(as_text=True)
    assert made[2].number in first and made[0].number not in first and 'rel="next"' in first
    assert 'rel="prev"' not in first
    next_link = first.split('" rel="next"')[0].rsplit('href="', 1)[1].replace("&amp;", "&")
    second = carlos.get(next_link).get_data(as_text=True)
    assert made[0].number in second and made[2].number not in second


def test_it_says_when_a_client_has_no_invoices(practice, as_user):
    body = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert "No invoices yet." in body


# --- the new-invoice form -------------------------------------------------------------------------

def test_it_shows_the_new_invoice_form_with_the_practice_currency_and_dates(practice, as_user):
    response = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}/invoices/new")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "New invoice for Aisha Rahman" in body
    assert 'name="lines-4-description"' in body and 'name="lines-5-description"' not in body
    assert '<option selected value="USD">' in body
    assert 'value="2026-12-03"' in body and 'value="2026-12-17"' in body
    assert "Save as draft" in body and "Send to Aisha" in body and "Add another line" in body


def test_it_saves_a_draft_and_ignores_the_blank_rows(practice, as_user):
    carlos = as_user(practice.carlos)
    response = carlos.post(f"/clients/{practice.aisha.id}/invoices/new", invoice_form(**{
        "lines-2-description": "Workbook", "lines-2-quantity": "2", "lines-2-unit_price": "12.50", "tax": "8.25"}))
    invoice = db.session.scalar(select(Invoice))
    assert response.status_code == 303
    assert response.headers["Location"] == page_of(practice.aisha, invoice)
    assert [(line.description, line.quantity, line.unit_price_cents) for line in invoice.lines] == [
        ("Individual session", 1, 9500), ("Workbook", 2, 1250)]
    assert (invoice.tax_basis_points, invoice.total_cents, invoice.is_draft) == (825, 12000 + 990, True)
    page = carlos.get(page_of(practice.aisha, invoice)).get_data(as_text=True)
    assert f"{invoice.number} is saved as a draft" in page
    assert ">Draft</span>" in page and "Workbook" in page and "$129.90" in page and "Tax (8.25 %)" in page


def test_it_adds_another_line_without_javascript_and_writes_nothing(practice, as_user):
    response = as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/invoices/new",
                                             invoice_form(add_line="1"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="lines-5-description"' in body and 'value="Individual session"' in body
    assert invoices() == 0


@pytest.mark.parametrize("fields, message", [
    ({"lines-0-unit_price": "0"}, "The price must be more than zero."),
    ({"lines-0-unit_price": "-5.00"}, "Enter the price like 95.00."),
    ({"lines-0-unit_price": "lots"}, "Enter the price like 95.00."),
    ({"lines-0-unit_price": "95.001"}, "Enter the price like 95.00."),
    ({"lines-0-quantity": "100000"}, "The quantity must be between 1 and 1000."),
    ({"lines-0-quantity": "0"}, "The quantity must be between 1 and 1000."),
    ({"lines-0-quantity": "1.5"}, "Enter a whole number, like 1."),
    ({"lines-0-description": ""}, "Describe what this line is for."),
    ({"currency": "EUR"}, "This practice bills in USD; an invoice in EUR cannot be paid."),
    ({"currency": "XYZ"}, "Choose one of the listed currencies."),
    ({"due_on": "2026-12-01"}, "The due date cannot be before the invoice date."),
    ({"due_on": ""}, "Enter the date it is due."),
    ({"tax": "eight"}, "Enter the rate as a percentage, like 8.25."),
    ({"tax": "80"}, "The tax rate must be between 0 % and 50 %."),
    ({"lines-0-description": "", "lines-0-quantity": "", "lines-0-unit_price": ""}, "Add at least one line."),
])
def test_it_refuses_a_wrong_invoice_next_to_the_field_and_writes_nothing(practice, as_user, fields, message):
    response = as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/invoices/new",
                                             invoice_form(action="send", **fields))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert invoices() == 0
    assert db.session.scalar(select(func.count(InvoiceLine.id))) == 0
    assert "invoice.created" not in actions()


def test_it_puts_a_line_error_next_to_the_row_it_is_about(practice, as_user):
    response = as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/invoices/new", invoice_form(**{
        "lines-3-description": "Late fee", "lines-3-quantity": "1", "lines-3-unit_price": "0"}))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="error" id="lines-3-unit_price-error">The price must be more than zero.</p>' in body


def test_it_makes_one_invoice_of_a_double_submit(practice, as_user):
    carlos = as_user(practice.carlos)
    form = invoice_form(action="send")
    first = carlos.post(f"/clients/{practice.aisha.id}/invoices/new", form)
    again = carlos.post(f"/clients/{practice.aisha.id}/invoices/new", form)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert invoices() == 1 and actions().count("invoice.sent") == 1


def test_it_refuses_a_post_without_the_csrf_token(practice, as_user):
    response = as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/invoices/new", invoice_form(),
                                             csrf=False)
    assert response.status_code == 400 and invoices() == 0


# --- sending, and the e-mail ----------------------------------------------------------------------

def test_it_sends_an_invoice_and_mails_the_client_a_link_without_amounts_or_lines(practice, as_user, app):
    make_portal_account(practice.aisha)
    carlos = as_user(practice.carlos)
    carlos.post(f"/clients/{practice.aisha.id}/invoices/new", invoice_form(**{
        "action": "send", "lines-0-description": "Trauma-focused therapy"}))
    invoice = db.session.scalar(select(Invoice))
    assert invoice.status(date(2026, 12, 3)) == "Due" and invoice.sent_at == NOW
    page = carlos.get(page_of(practice.aisha, invoice)).get_data(as_text=True)
    assert f"Invoice {invoice.number} is sent. Aisha gets an e-mail with a link to it." in page
    run_jobs(app)
    run_jobs(app)
    [email] = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "invoice_sent")).all()
    assert email.to_address == "aisha@example.com" and email.subject == "New invoice from Brunswick Practice"
    assert f"/portal/billing/{invoice.id}" in email.body_text
    assert "95" not in email.body_text and "Trauma" not in email.body_text and invoice.number not in email.body_text


def test_it_sends_a_draft_from_its_page_once(practice, as_user, app):
    make_portal_account(practice.aisha)
    invoice = an_invoice(practice.aisha, sent=False)
    carlos = as_user(practice.carlos)
    first = carlos.post(f"{page_of(practice.aisha, invoice)}/send")
    again = carlos.post(f"{page_of(practice.aisha, invoice)}/send")
    assert first.status_code == again.status_code == 303
    run_jobs(app)
    assert db.session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.template == "invoice_sent")) == 1


def test_it_sends_no_email_to_a_client_without_a_portal_account(practice, as_user, app):
    carlos = as_user(practice.carlos)
    carlos.post(f"/clients/{practice.aisha.id}/invoices/new", invoice_form(action="send"))
    invoice = db.session.scalar(select(Invoice))
    page = carlos.get(page_of(practice.aisha, invoice)).get_data(as_text=True)
    assert "Aisha has no portal account to see it in, so no e-mail went out." in page
    run_jobs(app)
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


# --- changing a draft -----------------------------------------------------------------------------

def test_it_changes_a_draft(practice, as_user):
    invoice = an_invoice(practice.aisha, sent=False)
    carlos = as_user(practice.carlos)
    form = carlos.get(f"{page_of(practice.aisha, invoice)}/edit")
    assert form.status_code == 200 and 'value="Individual session"' in form.get_data(as_text=True)
    assert 'value="95.00"' in form.get_data(as_text=True)
    response = carlos.post(f"{page_of(practice.aisha, invoice)}/edit", invoice_form(**{"lines-0-quantity": "2"}))
    assert response.status_code == 303
    db.session.expire_all()
    changed = db.session.get(Invoice, invoice.id)
    assert changed.total_cents == 19000 and len(changed.lines) == 1 and invoices() == 1
    assert "invoice.changed" in actions()


def test_it_does_not_change_a_sent_invoice(practice, as_user):
    invoice = an_invoice(practice.aisha)
    carlos = as_user(practice.carlos)
    response = carlos.post(f"{page_of(practice.aisha, invoice)}/edit", invoice_form(**{"lines-0-quantity": "2"}))
    assert response.status_code == 409 and "can&#39;t be changed" in response.get_data(as_text=True)
    assert db.session.get(Invoice, invoice.id).total_cents == 9500
    opened = carlos.get(f"{page_of(practice.aisha, invoice)}/edit")
    assert opened.status_code == 303 and opened.headers["Location"] == page_of(practice.aisha, invoice)


# --- the invoice page -----------------------------------------------------------------------------

def test_it_shows_an_invoice_with_its_lines_totals_and_payments(practice, as_user):
    invoice = an_invoice(practice.aisha, lines=[Line("Individual session", 2, 8000)])
    service.record_outside_payment(invoice, "cash", 5000, "cash-1")
    db.session.commit()
    response = as_user(practice.carlos).get(page_of(practice.aisha, invoice))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Invoice {invoice.number}" in body and ">Due</span>" in body
    assert "Individual session" in body and "$80.00" in body and "$160.00" in body
    assert "$50.00</strong> · Cash · received" in body
    assert "Left to pay</dt><dd>$110.00" in body
    assert "invoice.viewed" in actions()


def test_it_shows_an_overdue_invoice_as_overdue(practice, as_user):
    invoice = an_invoice(practice.aisha)
    clock.freeze(datetime(2026, 12, 18, 15, 0, tzinfo=UTC))
    assert ">Overdue</span>" in as_user(practice.carlos).get(page_of(practice.aisha, invoice)).get_data(as_text=True)


# --- voiding --------------------------------------------------------------------------------------

def test_an_admin_voids_an_invoice_and_it_is_audited(practice, as_user):
    invoice = an_invoice(practice.aisha)
    admin = as_user(practice.admin)
    response = admin.post(f"{page_of(practice.aisha, invoice)}/void")
    assert response.status_code == 303
    assert db.session.get(Invoice, invoice.id).voided_at == NOW
    assert "invoice.voided" in actions()
    page = admin.get(page_of(practice.aisha, invoice)).get_data(as_text=True)
    assert ">Void</span>" in page and "Record payment" not in page


def test_a_practitioner_may_not_void(practice, as_user):
    invoice = an_invoice(practice.aisha)
    carlos = as_user(practice.carlos)
    assert "Void invoice" not in carlos.get(page_of(practice.aisha, invoice)).get_data(as_text=True)
    assert carlos.post(f"{page_of(practice.aisha, invoice)}/void").status_code == 403
    assert db.session.get(Invoice, invoice.id).voided_at is None


def test_a_paid_invoice_cannot_be_voided(practice, as_user):
    invoice = an_invoice(practice.aisha)
    service.record_outside_payment(invoice, "bank_transfer", 9500, "transfer-1")
    db.session.commit()
    response = as_user(practice.admin).post(f"{page_of(practice.aisha, invoice)}/void")
    assert response.status_code == 409
    assert "A paid invoice cannot be voided; refund the payment instead." in response.get_data(as_text=True)
    assert db.session.get(Invoice, invoice.id).voided_at is None and "invoice.voided" not in actions()


# --- payments taken outside Porch -----------------------------------------------------------------

def payment_form(**fields) -> dict:
    return {"request_key": str(uuid.uuid4()), "method": "cash", "amount": "95.00", "received_on": "2026-12-02",
            **fields}


def test_it_records_a_cash_payment_and_the_invoice_is_paid(practice, as_user):
    invoice = an_invoice(practice.aisha)
    carlos = as_user(practice.carlos)
    form = payment_form()
    response = carlos.post(f"{page_of(practice.aisha, invoice)}/payments", form)
    carlos.post(f"{page_of(practice.aisha, invoice)}/payments", form)  # a double click
    assert response.status_code == 303
    [payment] = db.session.scalars(select(Payment)).all()
    assert (payment.method, payment.amount_cents, payment.recorded_by_id) == ("cash", 9500, practice.carlos.id)
    assert payment.succeeded_at == datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # midday in New York
    assert db.session.get(Invoice, invoice.id).paid_at is not None
    assert actions().count("payment.recorded") == 1
    page = carlos.get(page_of(practice.aisha, invoice)).get_data(as_text=True)
    assert "Payment of 95.00 recorded" in page and ">Paid</span>" in page


@pytest.mark.parametrize("fields, message", [
    ({"amount": "0"}, "The amount must be more than zero."),
    ({"amount": "ninety"}, "Enter the amount like 95.00."),
    ({"amount": "95.01"}, "That is more than is left to pay on this invoice."),
    ({"method": "card"}, "Not a valid choice."),
    ({"received_on": "2026-12-04"}, "The day it was received cannot be in the future."),
    ({"received_on": ""}, "Enter the day it was received."),
])
def test_it_refuses_a_wrong_payment_with_a_message_and_writes_nothing(practice, as_user, fields, message):
    invoice = an_invoice(practice.aisha)
    response = as_user(practice.carlos).post(f"{page_of(practice.aisha, invoice)}/payments", payment_form(**fields))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Payment.id))) == 0


@pytest.mark.parametrize("state", ["void", "paid", "draft"])
def test_a_void_paid_or_draft_invoice_cannot_be_paid(practice, as_user, state):
    invoice = an_invoice(practice.aisha, sent=state != "draft")
    if state == "void":
        service.void_invoice(invoice)
    if state == "paid":
        service.record_outside_payment(invoice, "cash", 9500, "cash-1")
    db.session.commit()
    response = as_user(practice.carlos).post(f"{page_of(practice.aisha, invoice)}/payments",
                                             payment_form(amount="1.00"))
    assert response.status_code == 422
    assert f"This invoice is {state}: it cannot be paid." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Payment.id))) == (1 if state == "paid" else 0)


# --- refunds --------------------------------------------------------------------------------------

@pytest.fixture
def card_payment(practice, visitor):
    """Aisha's $95 invoice, paid with the test card."""
    processor = TestModeProcessor()
    invoice = an_invoice(practice.aisha)
    setup = processor.start_card_setup(customer=service.customer_for(practice.aisha, processor),
                                       return_url="/portal/billing")
    visitor.post(urlsplit(setup.redirect_url).path, {"number": "4242424242424242", "expiry": "12/39", "cvc": "123",
                                                      "action": "save"})
    card = service.save_card(practice.aisha, processor, setup.reference)
    db.session.commit()
    payment = service.pay_by_card(invoice, card, processor, "pay-1", "/portal/billing")
    assert payment.status == "succeeded"
    return invoice, payment


def refund_of(payment, amount: str) -> dict:
    return {f"refund-{payment.id}-request_key": str(uuid.uuid4()), f"refund-{payment.id}-amount": amount}


def test_an_admin_refunds_part_of_a_card_payment_then_the_rest(practice, as_user, card_payment):
    invoice, payment = card_payment
    admin = as_user(practice.admin)
    page = admin.get(page_of(practice.aisha, invoice)).get_data(as_text=True)
    assert "Refund to the card" in page and f'name="refund-{payment.id}-amount"' in page and 'value="95.00"' in page
    path = f"{page_of(practice.aisha, invoice)}/payments/{payment.id}/refund"
    assert admin.post(path, refund_of(payment, "40.00")).status_code == 303
    assert db.session.get(Payment, payment.id).refunded_cents == 4000
    page = admin.get(page_of(practice.aisha, invoice)).get_data(as_text=True)
    assert "Refunded $40.00" in page and "Up to $55.00" in page
    too_much = admin.post(path, refund_of(payment, "55.01"))
    assert too_much.status_code == 422 and "That is more than is left of this payment." in too_much.get_data(
        as_text=True)
    assert admin.post(path, refund_of(payment, "55.00")).status_code == 303
    assert db.session.scalar(select(func.sum(Refund.amount_cents))) == 9500
    assert actions().count("payment.refunded") == 2
    assert "Refund to the card" not in admin.get(page_of(practice.aisha, invoice)).get_data(as_text=True)


@pytest.mark.parametrize("amount, message", [("0", "The refund must be more than zero."),
                                             ("100.00", "That is more than is left of this payment."),
                                             ("", "Enter the amount to give back.")])
def test_it_refuses_a_refund_out_of_bounds(practice, as_user, card_payment, amount, message):
    invoice, payment = card_payment
    response = as_user(practice.admin).post(f"{page_of(practice.aisha, invoice)}/payments/{payment.id}/refund",
                                            refund_of(payment, amount))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Refund.id))) == 0


def test_a_practitioner_may_not_refund(practice, as_user, card_payment):
    invoice, payment = card_payment
    carlos = as_user(practice.carlos)
    assert "Refund to the card" not in carlos.get(page_of(practice.aisha, invoice)).get_data(as_text=True)
    response = carlos.post(f"{page_of(practice.aisha, invoice)}/payments/{payment.id}/refund",
                           refund_of(payment, "10.00"))
    assert response.status_code == 403 and db.session.scalar(select(func.count(Refund.id))) == 0


def test_a_cash_payment_is_not_refunded_here(practice, as_user):
    invoice = an_invoice(practice.aisha)
    payment = service.record_outside_payment(invoice, "cash", 9500, "cash-1")
    db.session.commit()
    response = as_user(practice.admin).post(f"{page_of(practice.aisha, invoice)}/payments/{payment.id}/refund",
                                            refund_of(payment, "10.00"))
    assert response.status_code == 422
    assert "Only a card payment that went through can be refunded here." in response.get_data(as_text=True)


# --- other people's ids ---------------------------------------------------------------------------

def test_another_practice_gets_404_for_a_client_or_invoice(practice, outsider, as_user):
    invoice = an_invoice(practice.aisha)
    payment = service.record_outside_payment(invoice, "cash", 1000, "cash-1")
    db.session.commit()
    stranger = as_user(outsider.owner)
    base = page_of(practice.aisha, invoice)
    for path in (f"/clients/{practice.aisha.id}/invoices", f"/clients/{practice.aisha.id}/invoices/new", base,
                 f"{base}/edit"):
        assert stranger.get(path).status_code == 404, path
    for path in (f"{base}/send", f"{base}/void", f"{base}/payments", f"{base}/payments/{payment.id}/refund"):
        assert stranger.post(path, payment_form()).status_code == 404, path
    theirs = page_of(outsider.client, invoice)  # their own client, our invoice
    assert stranger.get(theirs).status_code == 404


def test_an_invoice_or_payment_of_another_client_in_the_url_is_404(practice, as_user):
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    invoice, other = an_invoice(practice.aisha), an_invoice(ben)
    payment = service.record_outside_payment(other, "cash", 1000, "cash-1")
    db.session.commit()
    admin = as_user(practice.admin)
    assert admin.get(page_of(ben, invoice)).status_code == 404
    assert admin.post(f"{page_of(ben, invoice)}/void").status_code == 404
    assert admin.post(f"{page_of(practice.aisha, invoice)}/payments/{payment.id}/refund",
                      refund_of(payment, "1.00")).status_code == 404
    assert db.session.get(Invoice, invoice.id).voided_at is None


def test_a_practitioner_not_on_the_care_team_gets_404(practice, as_user):
    invoice = an_invoice(practice.aisha)
    priya = as_user(practice.priya)
    assert priya.get(page_of(practice.aisha, invoice)).status_code == 404
    assert priya.get(f"/clients/{practice.aisha.id}/invoices/new").status_code == 404
