"""Two-step sign-in in a real browser: Aisha turns on an authenticator app, signs out, signs in with a code from
it, then with a recovery code, which is refused the second time. Every page is checked with axe-core, with
JavaScript on and off."""

import re
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import Page, expect

from app import clock
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])


def sign_in_with_password(page: Page) -> None:
    page.goto("/portal/login")
    page.get_by_label("E-mail address").fill("aisha@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


@javascript_on_and_off
def test_it_turns_on_mfa_and_signs_in_with_an_app_code_and_then_a_recovery_code(
        javascript, aisha_in_the_portal, visit):
    clock.freeze(clock.now())  # the server runs in this process: each step below moves to the app's next code
    page = visit.page(javascript)
    page.goto("/portal/login")
    page.get_by_label("E-mail address").fill("aisha@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", level=2, name="Two-step sign-in")).to_be_visible()
    visit.assert_accessible(page, "the account page")

    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    expect(page.locator("figure.qr-code svg path")).to_have_count(1)
    visit.assert_accessible(page, "the authenticator setup page")
    app = pyotp.TOTP(page.locator("code.secret").inner_text().replace(" ", ""))
    page.get_by_label("Code from the app").fill(app.at(clock.now()))
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your authenticator app is set up")
    codes = page.locator("ol.codes code").all_inner_texts()
    assert len(codes) == 10
    visit.assert_accessible(page, "the recovery codes")
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("unused recovery codes left")).to_contain_text("10 unused")
    sign_out(page)

    sign_in_with_password(page)
    visit.assert_accessible(page, "the code page")
    clock.advance(timedelta(seconds=30))
    enter_code(page, app.at(clock.now()))
    expect(page).to_have_url(re.compile(r"/portal$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome back, Aisha")
    sign_out(page)

    sign_in_with_password(page)
    enter_code(page, codes[0])
    expect(page).to_have_url(re.compile(r"/portal$"))
    sign_out(page)

    sign_in_with_password(page)
    enter_code(page, codes[0])
    expect(page.get_by_label("Code")).to_have_accessible_description(re.compile("That code isn't right"))
    expect(page).to_have_title(re.compile(r"^Error: Enter your code"))
    visit.assert_accessible(page, "the code page with an error")
    visit.assert_no_csp_reports()
