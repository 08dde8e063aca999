"""Billing in the client portal: invoices, paying (saved card, new card, confirmation step), cards, webhooks."""

import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app import clock
from app.audit.models import AuditEvent
from app.billing import service
from app.billing.models import Invoice, Payment, PaymentAttempt, PaymentMethod
from app.billing.service import Line
from app.billing.test_mode import SIGNATURE_HEADER, TestProcessorCharge, event_payload, sign
from app.db import db
from tests.conftest import counting_queries, make_client, make_portal_account

SESSION = [Line("Individual session", 1, 9500)]
KEY = "k" * 32
SUCCEEDS, DECLINED, NO_FUNDS, ASKS = ("4242 4242 4242 4242", "4000 0000 0000 0002", "4000 0000 0000 9995",
                                      "4000 0027 6000 3184")


def sent_invoice(client, lines=SESSION, issued=None, send=True) -> Invoice:
    issued = issued or clock.now().date()
    invoice = service.create_invoice(client, "USD", issued, issued + timedelta(days=14), lines)
    if send:
        service.send_invoice(invoice)
    db.session.commit()
    return invoice


@pytest.fixture
def aisha(practice, as_user):
    make_portal_account(practice.aisha)
    return as_user(practice.aisha.account)


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def add_card(portal, number=SUCCEEDS, start="/portal/billing/methods", form=None):
    """Start adding a card, type it on the test processor's page, come back: the answer to coming back."""
    started = portal.post(start, form)
    assert started.status_code == 303, started.get_data(as_text=True)
    card_page = path_of(started)
    assert card_page.startswith("/test-processor/cards/")
    typed = portal.post(card_page, {"number": number, "expiry": "12/39", "cvc": "123", "action": "save"})
    assert typed.status_code == 303
    back = urlsplit(typed.headers["Location"])
    return portal.get(back.path + (f"?{back.query}" if back.query else ""))


def cards_of(client) -> list[PaymentMethod]:
    return service.saved_cards(client)


def charges() -> int:
    return db.session.scalar(select(func.count()).select_from(TestProcessorCharge))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- the list and the invoice ----------------------------------------------------------------------------

def test_it_lists_the_clients_invoices_newest_first_without_drafts(practice, aisha):
    older = sent_invoice(practice.aisha, issued=date(2026, 10, 1))
    newer = sent_invoice(practice.aisha, [Line("Workbook", 2, 1250)], issued=date(2026, 11, 1))
    draft = sent_invoice(practice.aisha, send=False)
    page = aisha.get("/portal/billing").get_data(as_text=True)
    assert page.index(f"Invoice {newer.number}") < page.index(f"Invoice {older.number}")
    assert "$25.00" in page and "$95.00" in page
    assert draft.number not in page
    assert aisha.get(f"/portal/billing/{draft.id}").status_code == 404


def test_it_pages_a_long_list_by_cursor(practice, aisha):
    for day in range(25):
        sent_invoice(practice.aisha, issued=date(2026, 1, 1) + timedelta(days=day))
    first = aisha.get("/portal/billing").get_data(as_text=True)
    assert first.count("<li><a href=\"/portal/billing/") == 20
    after = re.search(r'href="(/portal/billing\?after=[^"]+)" (?:[^>]*)rel="next"', first).group(1)
    second = aisha.get(after.replace("&amp;", "&")).get_data(as_text=True)
    assert second.count("<li><a href=\"/portal/billing/") == 5
    fragment = aisha.get(after.replace("&amp;", "&"), htmx=True).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="invoice-list">') and "<html" not in fragment


def test_it_lists_a_page_of_invoices_in_as_many_queries_as_one_invoice(practice, aisha):
    sent_invoice(practice.aisha)
    aisha.get("/portal/billing")
    with counting_queries() as one:
        aisha.get("/portal/billing")
    for _ in range(19):
        sent_invoice(practice.aisha)
    with counting_queries() as twenty:
        aisha.get("/portal/billing")
    assert len(twenty) == len(one)


def test_it_shows_an_invoice_with_lines_total_status_and_a_pay_form(practice, aisha):
    invoice = sent_invoice(practice.aisha, [Line("Individual session", 2, 8000), Line("Workbook", 1, 1500)])
    page = aisha.get(f"/portal/billing/{invoice.id}").get_data(as_text=True)
    assert f"Invoice {invoice.number}" in page and ">Due<" in page
    assert "Individual session" in page and "$160.00" in page and "$175.00" in page
    assert "Pay with a new card" in page and 'name="key"' in page
    assert "Test mode" in page


def test_it_offers_no_pay_button_on_a_paid_or_void_invoice_and_refuses_to_pay_it(practice, aisha):
    paid, void = sent_invoice(practice.aisha), sent_invoice(practice.aisha)
    service.record_outside_payment(paid, "cash", 9500, "cash-1")
    service.void_invoice(void)
    db.session.commit()
    for invoice, status, says in ((paid, "Paid", "already paid"), (void, "Void", "cancelled by your practice")):
        page = aisha.get(f"/portal/billing/{invoice.id}").get_data(as_text=True)
        assert f">{status}<" in page and 'name="key"' not in page
        refused = aisha.post(f"/portal/billing/{invoice.id}/pay", {"key": KEY, "card": "new"})
        assert refused.status_code == 409 and says in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.method == "card")) == 0


def test_it_shows_another_clients_or_practices_invoices_and_cards_as_not_found(practice, outsider, aisha, as_user):
    ben = make_client(practice.workspace, "Ben", "Other", "ben@example.com")
    bens_invoice, olus_invoice = sent_invoice(ben), sent_invoice(outsider.client)
    make_portal_account(ben)
    ben_portal = as_user(ben.account)
    add_card(ben_portal)
    bens_card = cards_of(ben)[0]
    for invoice in (bens_invoice, olus_invoice):
        for path in ("", "/receipt", "/confirmed"):
            assert aisha.get(f"/portal/billing/{invoice.id}{path}").status_code == 404
        assert aisha.post(f"/portal/billing/{invoice.id}/pay", {"key": KEY, "card": "new"}).status_code == 404
    for action in ("default", "remove"):
        assert aisha.post(f"/portal/billing/methods/{bens_card.id}/{action}").status_code == 404
    mine = sent_invoice(practice.aisha)
    refused = aisha.post(f"/portal/billing/{mine.id}/pay", {"key": KEY, "card": str(bens_card.id)})
    assert refused.status_code == 422 and "Choose one of your saved cards" in refused.get_data(as_text=True)
    assert charges() == 0


def test_it_prints_a_receipt_without_the_portals_navigation_or_buttons(app, practice, aisha):
    invoice = sent_invoice(practice.aisha)
    service.record_outside_payment(invoice, "bank_transfer", 9500, "bank-1")
    db.session.commit()
    page = aisha.get(f"/portal/billing/{invoice.id}/receipt").get_data(as_text=True)
    assert f"<h1>Receipt {invoice.number}</h1>" in page
    assert "Aisha Rahman" in page and "$95.00" in page and "Bank transfer" in page
    assert 'aria-label="Main"' not in page and "<button" not in page.split("<main", 1)[1].split("</main>")[0]
    stylesheet = (Path(app.root_path) / "static" / "porch.css").read_text()
    assert "@page { margin: 15mm; }" in stylesheet and "@media print" in stylesheet


# --- paying ------------------------------------------------------------------------------------------------

def test_it_pays_with_the_default_card_and_a_double_click_charges_once(practice, aisha):
    invoice = sent_invoice(practice.aisha)
    add_card(aisha, DECLINED)
    add_card(aisha, SUCCEEDS)
    default, other = cards_of(practice.aisha)
    assert default.last4 == "0002"
    aisha.post(f"/portal/billing/methods/{other.id}/default")
    page = aisha.get(f"/portal/billing/{invoice.id}").get_data(as_text=True)
    assert re.search(rf'value="{other.id}" checked', page)
    for _ in range(2):
        answer = aisha.post(f"/portal/billing/{invoice.id}/pay", {"key": KEY, "card": str(other.id)})
        assert answer.status_code == 303 and path_of(answer) == f"/portal/billing/{invoice.id}"
    assert charges() == 1
    assert db.session.get(Invoice, invoice.id).paid_at is not None
    page = aisha.get(f"/portal/billing/{invoice.id}").get_data(as_text=True)
    assert "Thank you: your payment went through." in page and ">Paid<" in page and "Visa ending 4242" in page
    assert audit_actions().count("payment.succeeded") == 1
    home = aisha.get("/portal").get_data(as_text=True)
    assert f'href="/portal/billing/{invoice.id}"' in home and "tag-paid" in home


@pytest.mark.parametrize("number, reason", [(DECLINED, "Your card was declined."),
                                            (NO_FUNDS, "Your card has insufficient funds.")])
def test_it_says_why_a_card_was_declined_and_the_invoice_stays_due(practice, aisha, number, reason):
    invoice = sent_invoice(practice.aisha)
    add_card(aisha, number)
    card = cards_of(practice.aisha)[0]
    answer = aisha.post(f"/portal/billing/{invoice.id}/pay", {"key": KEY, "card": str(card.id)})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 402
    assert f'id="pay-error" role="alert">{reason}</p>' in page and 'aria-describedby="pay-error"' in page
    assert db.session.get(Invoice, invoice.id).status(clock.now().date()) == "Due"
    attempt = db.session.scalar(select(PaymentAttempt))
    assert (attempt.outcome, attempt.decline_message) == ("declined", reason)
    assert "payment.declined" in audit_actions()
    assert KEY not in page  # the next try is a new payment, with a key of its own


def test_it_pays_with_a_new_card_added_on_the_processors_page(practice, aisha):
    invoice = sent_invoice(practice.aisha)
    back = add_card(aisha, SUCCEEDS, start=f"/portal/billing/{invoice.id}/pay", form={"key": KEY, "card": "new"})
    assert back.status_code == 303 and path_of(back) == f"/portal/billing/{invoice.id}"
    assert db.session.get(Invoice, invoice.id).paid_at is not None
    assert [card.last4 for card in cards_of(practice.aisha)] == ["4242"]
    assert aisha.get("/portal/billing/methods/added").status_code == 303  # coming back again charges nothing
    assert charges() == 1


def test_it_sends_the_client_to_confirm_the_payment_and_back(practice, aisha):
    invoice = sent_invoice(practice.aisha)
    add_card(aisha, ASKS)
    card = cards_of(practice.aisha)[0]
    answer = aisha.post(f"/portal/billing/{invoice.id}/pay", {"key": KEY, "card": str(card.id)})
    confirm_page = path_of(answer)
    assert confirm_page.startswith("/test-processor/payments/")
    assert "Test mode" in aisha.get(confirm_page).get_data(as_text=True)
    assert db.session.get(Invoice, invoice.id).paid_at is None
    back = aisha.post(confirm_page, {"action": "confirm"})
    assert path_of(back) == f"/portal/billing/{invoice.id}/confirmed"
    done = aisha.get(path_of(back))
    assert done.status_code == 303 and db.session.get(Invoice, invoice.id).paid_at is not None
    assert aisha.get(path_of(back)).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(PaymentAttempt)
                             .where(PaymentAttempt.outcome == "succeeded")) == 1


def test_it_tells_the_client_when_they_did_not_confirm(practice, aisha):
    invoice = sent_invoice(practice.aisha)
    add_card(aisha, ASKS)
    answer = aisha.post(f"/portal/billing/{invoice.id}/pay", {"key": KEY, "card": str(cards_of(practice.aisha)[0].id)})
    back = aisha.post(path_of(answer), {"action": "refuse"})
    page = aisha.get(path_of(back))
    assert page.status_code == 402 and "You did not confirm the payment with your bank." in page.get_data(as_text=True)
    assert db.session.get(Invoice, invoice.id).paid_at is None


@pytest.mark.parametrize("form, says", [({"key": KEY}, "Choose one of your saved cards"),
                                        ({"key": KEY, "card": "999999"}, "Choose one of your saved cards"),
                                        ({"key": "short", "card": "new"}, "This form is out of date")])
def test_it_refuses_a_pay_form_it_cannot_use_and_writes_nothing(practice, aisha, form, says):
    invoice = sent_invoice(practice.aisha)
    answer = aisha.post(f"/portal/billing/{invoice.id}/pay", form)
    assert answer.status_code == 422 and says in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


# --- cards -------------------------------------------------------------------------------------------------

def test_it_adds_makes_default_and_removes_cards_with_audit_rows(practice, aisha):
    assert aisha.get("/portal/billing/methods").status_code == 200
    back = add_card(aisha, SUCCEEDS)
    assert path_of(back) == "/portal/billing/methods"
    add_card(aisha, NO_FUNDS)
    page = aisha.get("/portal/billing/methods").get_data(as_text=True)
    assert "Visa ending 9995, expires 12/2039 is saved." in page
    assert "Visa ending 4242 · expires 12/2039" in page and "Test mode" in page
    first, second = cards_of(practice.aisha)
    assert first.is_default and first.last4 == "4242"
    aisha.post(f"/portal/billing/methods/{second.id}/default")
    assert [card.last4 for card in cards_of(practice.aisha)] == ["9995", "4242"]
    removed = aisha.post(f"/portal/billing/methods/{second.id}/remove")
    assert removed.status_code == 303
    assert [(card.last4, card.is_default) for card in cards_of(practice.aisha)] == [("4242", True)]
    assert aisha.post(f"/portal/billing/methods/{second.id}/remove").status_code == 404
    actions = audit_actions()
    assert actions.count("payment_method.added") == 2 and actions.count("payment_method.removed") == 1


def test_it_adds_no_card_when_the_client_cancels_on_the_processors_page(practice, aisha):
    started = aisha.post("/portal/billing/methods")
    cancelled = aisha.post(path_of(started), {"action": "cancel"})
    assert aisha.get(path_of(cancelled)).status_code == 303
    assert cards_of(practice.aisha) == []
    assert "No card was added." in aisha.get("/portal/billing/methods").get_data(as_text=True)


def test_it_asks_for_a_csrf_token_on_every_billing_form(practice, aisha):
    invoice = sent_invoice(practice.aisha)
    assert aisha.post(f"/portal/billing/{invoice.id}/pay", {"key": KEY, "card": "new"}, csrf=False).status_code == 400
    assert aisha.post("/portal/billing/methods", csrf=False).status_code == 400


# --- webhooks ----------------------------------------------------------------------------------------------

def awaiting_confirmation(practice, aisha) -> tuple[Invoice, Payment]:
    invoice = sent_invoice(practice.aisha)
    add_card(aisha, ASKS)
    aisha.post(f"/portal/billing/{invoice.id}/pay", {"key": KEY, "card": str(cards_of(practice.aisha)[0].id)})
    return invoice, db.session.scalar(select(Payment))


def test_it_applies_a_webhook_once_however_often_and_before_the_client_is_back(app, practice, aisha):
    invoice, payment = awaiting_confirmation(practice, aisha)
    charge = db.session.get(TestProcessorCharge, payment.processor_reference)
    charge.status = "succeeded"
    db.session.commit()
    payload = event_payload(charge)
    webhook = app.test_client()
    for _ in range(2):
        answer = webhook.post("/billing/webhooks/test", data=payload, headers={SIGNATURE_HEADER: sign(payload)})
        assert answer.status_code == 200
    assert db.session.get(Invoice, invoice.id).paid_at is not None
    assert aisha.get(f"/portal/billing/{invoice.id}/confirmed").status_code == 303  # the client comes back after it
    assert db.session.scalar(select(func.count()).select_from(PaymentAttempt)
                             .where(PaymentAttempt.outcome == "succeeded")) == 1
    assert audit_actions().count("payment.succeeded") == 1


@pytest.mark.parametrize("signature", ["", "0" * 64, "not hex"])
def test_it_refuses_a_webhook_whose_signature_does_not_match(app, practice, aisha, signature):
    invoice, payment = awaiting_confirmation(practice, aisha)
    charge = db.session.get(TestProcessorCharge, payment.processor_reference)
    charge.status = "succeeded"
    db.session.commit()
    headers = {SIGNATURE_HEADER: signature} if signature else {}
    answer = app.test_client().post("/billing/webhooks/test", data=event_payload(charge), headers=headers)
    assert answer.status_code == 400
    assert db.session.get(Invoice, invoice.id).paid_at is None


def test_it_answers_not_found_for_a_processor_this_porch_does_not_use(app):
    assert app.test_client().post("/billing/webhooks/stripe", data=b"{}").status_code == 404
