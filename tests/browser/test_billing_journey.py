"""Paying in a real browser: Carlos sends Aisha a $95 invoice from her record; she adds the test card and pays it,
and the home Invoices card says Paid; a second invoice paid with the declining card says why and stays Due.
JavaScript on and off, axe on every page."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app import clock
from app.billing import service
from app.billing.models import Invoice
from app.clients.models import Client
from app.db import db
from tests.browser.conftest import PHONE, carlos_and_aisha
from tests.browser.test_invite_journey import log_in

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])


def invoice_for(app, client_id: int, cents: int) -> str:
    """An invoice made and sent the way the staff's billing page does it; its number."""
    with app.app_context():
        today = clock.now().date()
        invoice = service.create_invoice(db.session.get(Client, client_id), "USD", today, today + timedelta(days=14),
                                         [service.Line("Individual session", 1, cents)])
        service.send_invoice(invoice)
        db.session.commit()
        return invoice.number


def carlos_sends_an_invoice(visit, javascript: bool, app, client_id: int, price: str) -> str:
    """Carlos bills the client from her record, in the browser; the invoice's number."""
    staff = visit.page(javascript)
    log_in(staff, "carlos@brunswick.example")
    staff.goto(f"/clients/{client_id}")
    staff.get_by_role("region", name="Invoices").get_by_role("link", name="New invoice").click()
    staff.locator("#lines-0-description").fill("Individual session")
    staff.locator("#lines-0-unit_price").fill(price)
    staff.get_by_role("button", name="Send to Aisha").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Due")
    staff.close()
    with app.app_context():
        return db.session.scalar(select(Invoice).where(Invoice.client_id == client_id)
                                 .order_by(Invoice.id.desc()).limit(1)).number


def add_test_card(page: Page, visit, number: str, first: bool = False) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    page.get_by_role("link", name="Payment methods").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment methods")
    if first:
        expect(page.get_by_role("note", name="Test mode")).to_be_visible()
        visit.assert_accessible(page, "the payment methods page")
    page.get_by_role("button", name="Add a card").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a card")
    expect(page.get_by_role("note", name="Test mode")).to_be_visible()
    if first:
        visit.assert_accessible(page, "the test processor's card page")
    page.get_by_label("Test card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill("12/39")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Save test card").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment methods")
    expect(page.get_by_text(f"ending {number[-4:]}, expires 12/2039 is saved.")).to_be_visible()


@javascript_on_and_off
def test_the_client_adds_the_test_card_pays_and_a_declined_card_leaves_the_invoice_due(
        javascript, live_server, visit):
    _, aisha_id = carlos_and_aisha(live_server.app)
    first = carlos_sends_an_invoice(visit, javascript, live_server.app, aisha_id, "95.00")

    aisha = visit.page(javascript, viewport=PHONE)
    log_in(aisha, "aisha@example.com", at="/portal/login")
    invoices = aisha.get_by_role("region", name="Invoices")
    expect(invoices).to_contain_text("$95.00")
    expect(invoices).to_contain_text("Due")
    add_test_card(aisha, visit, "4242 4242 4242 4242", first=True)
    visit.assert_accessible(aisha, "the payment methods page with a card")

    aisha.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    expect(aisha.get_by_role("heading", level=1)).to_have_text("Billing")
    visit.assert_accessible(aisha, "the billing page")
    aisha.get_by_role("link", name=f"Invoice {first}").click()
    expect(aisha.get_by_role("heading", level=1)).to_contain_text(f"Invoice {first}")
    expect(aisha.get_by_label(re.compile("Visa ending 4242"))).to_be_checked()
    visit.assert_accessible(aisha, "an invoice to pay")
    aisha.get_by_role("button", name=f"Pay {first}").click()
    expect(aisha.get_by_text("Thank you: your payment went through.")).to_be_visible()
    expect(aisha.get_by_role("heading", level=1)).to_contain_text("Paid")
    visit.assert_accessible(aisha, "a paid invoice")
    aisha.get_by_role("link", name="Printable receipt").click()
    expect(aisha.get_by_role("heading", level=1)).to_have_text(f"Receipt {first}")
    visit.assert_accessible(aisha, "the printable receipt")

    aisha.goto("/portal")
    invoices = aisha.get_by_role("region", name="Invoices")
    expect(invoices).to_contain_text("$95.00")
    expect(invoices).to_contain_text("Paid")

    second = invoice_for(live_server.app, aisha_id, 4000)
    add_test_card(aisha, visit, "4000 0000 0000 0002")
    aisha.goto("/portal")
    aisha.get_by_role("region", name="Invoices").get_by_role("link", name=f"View and pay invoice {second}").click()
    aisha.get_by_label(re.compile("Visa ending 0002")).check()
    aisha.get_by_role("button", name=f"Pay {second}").click()
    expect(aisha.get_by_role("alert")).to_have_text("Your card was declined.")
    expect(aisha.get_by_role("heading", level=1)).to_contain_text("Due")
    visit.assert_accessible(aisha, "an invoice whose card was declined")
    aisha.goto("/portal")
    expect(aisha.get_by_role("region", name="Invoices")).to_contain_text("Due")
    visit.assert_no_csp_reports()


def test_the_receipt_prints_on_one_page_of_a4_or_letter_with_no_links_or_buttons(live_server, visit):
    _, aisha_id = carlos_and_aisha(live_server.app)
    number = invoice_for(live_server.app, aisha_id, 9500)
    aisha = visit.page()
    log_in(aisha, "aisha@example.com", at="/portal/login")
    aisha.goto("/portal/billing")
    aisha.get_by_role("link", name=f"Invoice {number}").click()
    aisha.get_by_role("link", name="Printable invoice").click()
    expect(aisha.get_by_role("heading", level=1)).to_have_text(f"Invoice {number}")
    visit.assert_accessible(aisha, "the printable invoice")
    aisha.emulate_media(media="print")
    expect(aisha.get_by_role("link", name="Back to the invoice")).to_be_hidden()
    expect(aisha.get_by_text("Powered by Porch")).to_be_hidden()
    expect(aisha.get_by_role("navigation")).to_have_count(0)
    expect(aisha.get_by_role("button")).to_have_count(0)
    for paper in ("A4", "Letter"):
        printed = aisha.pdf(format=paper, print_background=False)
        assert len(re.findall(rb"/Type\s*/Page\b", printed)) == 1, paper
