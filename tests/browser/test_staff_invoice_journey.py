"""Billing from the client record in a real browser: Carlos fills in an invoice (a refused one first), sends it
and records a cash payment. JavaScript on and off, axe on every page."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_invite_journey import log_in

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])


@javascript_on_and_off
def test_carlos_sends_aisha_a_95_dollar_invoice_and_records_her_cash(javascript, aisha_in_the_portal, visit):
    staff = visit.page(javascript)
    log_in(staff, "carlos@brunswick.example")
    staff.goto(f"/clients/{aisha_in_the_portal}")
    invoices = staff.get_by_role("region", name="Invoices")
    expect(invoices).to_contain_text("No invoices yet.")
    invoices.get_by_role("link", name="New invoice").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("New invoice for Aisha Rahman")
    visit.assert_accessible(staff, "the new-invoice form")

    staff.locator("#lines-0-description").fill("Individual session")
    staff.locator("#lines-0-unit_price").fill("0")
    staff.get_by_role("button", name="Send to Aisha").click()
    expect(staff.locator("#lines-0-unit_price")).to_have_accessible_description("The price must be more than zero.")
    visit.assert_accessible(staff, "the new-invoice form with an error")

    staff.get_by_role("button", name="Add another line").click()
    expect(staff.locator("#lines-5-description")).to_be_visible()
    expect(staff.locator("#lines-0-description")).to_have_value("Individual session")
    staff.locator("#lines-0-unit_price").fill("95.00")
    staff.get_by_role("button", name="Send to Aisha").click()
    expect(staff.get_by_text("Aisha gets an e-mail with a link to it.")).to_be_visible()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Due")
    expect(staff.get_by_role("region", name="Details")).to_contain_text("$95.00")
    visit.assert_accessible(staff, "the invoice page")

    payments = staff.get_by_role("region", name="Payments")
    payments.get_by_label("Cash").check()
    payments.get_by_role("button", name="Record payment").click()
    expect(staff.get_by_text("Payment of 95.00 recorded")).to_be_visible()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Paid")
    visit.assert_accessible(staff, "the paid invoice")

    staff.get_by_role("link", name="← Aisha Rahman").click()
    expect(staff.get_by_role("region", name="Invoices")).to_contain_text("Paid")
    visit.assert_accessible(staff, "the client record with an invoice")
    visit.assert_no_csp_reports()
