"""The owner brands the practice and turns on white-label; Aisha's portal and her next e-mail (through a real SMTP
server) carry the practice's name, logo and colour, and never the product's name. JavaScript on and off, axe-core
on every page."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.branding import images
from tests.browser.conftest import PHONE, wait_until
from tests.conftest import PASSWORD, make_client, make_portal_account, make_staff, make_workspace

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
PRODUCT = re.compile("porch", re.IGNORECASE)


@pytest.fixture
def practice_mail_from(environment):
    """The practice's own sender address, as a white-labelled practice's would be."""
    environment.setenv("MAIL_FROM", "portal@harbour.example")


@pytest.fixture
def brunswick(live_server) -> int:
    with live_server.app.app_context():
        workspace = make_workspace()
        make_staff(workspace, "owner@brunswick.example", "owner", "Maya Brennan")
        carlos = make_staff(workspace, "carlos@brunswick.example", "practitioner", "Carlos Diaz")
        make_portal_account(make_client(workspace, care_team=[carlos]))
        return workspace.id


def log_in(page: Page, email: str, at: str = "/login") -> None:
    page.goto(at)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@javascript_on_and_off
def test_it_carries_the_practice_brand_and_never_the_product_to_aisha(
        javascript, practice_mail_from, brunswick, live_server, smtp_server, visit):
    owner = visit.page(javascript)
    log_in(owner, "owner@brunswick.example")
    expect(owner.get_by_role("region", name=re.compile("Getting started"))).to_contain_text("0 of 5 done")
    visit.assert_accessible(owner, "the staff home with Getting started")

    owner.get_by_role("link", name="Brand your portal").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Branding")
    visit.assert_accessible(owner, "the branding settings")

    owner.get_by_label("Practice name").fill("Harbour Physio")
    owner.get_by_label("Brand colour").fill("#ffcc00")
    owner.get_by_label("Logo").set_input_files({"name": "logo.png", "mimeType": "image/png",
                                                "buffer": images.png(900, 300, "#1d5c46")})
    owner.get_by_label("White-label").check()
    owner.get_by_role("button", name="Save").click()
    expect(owner.get_by_label("Brand colour")).to_have_accessible_description(re.compile(
        r"White text on #ffcc00 has a contrast of 1\.5:1; .* The nearest colour that passes is #907300\."))
    expect(owner).to_have_title(re.compile(r"^Error: Branding"))
    visit.assert_accessible(owner, "the branding settings with a colour refused")

    owner.get_by_label("Brand colour").fill("#1d5c46")
    owner.get_by_label("Logo").set_input_files({"name": "logo.png", "mimeType": "image/png",
                                                "buffer": images.png(900, 300, "#1d5c46")})
    owner.get_by_label("Portal welcome text").fill("Welcome to Harbour Physio: your exercises live here.")
    owner.get_by_label("E-mail signature").fill("Harbour Physio · 1 Quay Street")
    owner.get_by_role("button", name="Save").click()
    expect(owner.get_by_text("Branding saved.")).to_be_visible()
    expect(owner.get_by_role("img", name="Harbour Physio logo")).to_be_visible()
    visit.assert_accessible(owner, "the branding settings after saving")

    aisha = visit.page(javascript, viewport=PHONE)
    log_in(aisha, "aisha@example.com", at="/portal/login")
    expect(aisha).to_have_url(f"{live_server.url}/portal")
    expect(aisha).to_have_title("Home · Harbour Physio")
    expect(aisha.locator("header .brand")).to_have_text("Harbour Physio")
    logo = aisha.locator("header .brand img")
    expect(logo).to_have_attribute("src", re.compile(rf"^/brand/{brunswick}/logo\.png\?v=[0-9a-f]{{16}}$"))
    assert logo.evaluate("image => image.naturalWidth") == 192  # drawn at 96 × 32, sharp on a phone
    expect(aisha.get_by_text("Welcome to Harbour Physio: your exercises live here.")).to_be_visible()
    stylesheet = aisha.locator('link[rel="stylesheet"]').get_attribute("href")
    assert "--accent: #1d5c46;" in aisha.request.get(stylesheet).text()
    if javascript:
        assert aisha.evaluate("getComputedStyle(document.body).getPropertyValue('--accent').trim()") == "#1d5c46"
    assert not PRODUCT.search(aisha.content())
    visit.assert_accessible(aisha, "Aisha's branded portal home")

    aisha.get_by_role("button", name="Log out").click()
    expect(aisha).to_have_title("Log in · Harbour Physio")
    assert not PRODUCT.search(aisha.content())
    visit.assert_accessible(aisha, "the portal login page after signing out")
    aisha.get_by_role("link", name="Forgot your password?").click()
    aisha.get_by_label("E-mail address").fill("aisha@example.com")
    aisha.get_by_role("button", name="Send the link").click()
    assert not PRODUCT.search(aisha.content())
    visit.assert_accessible(aisha, "the reset-sent page")

    [mail] = wait_until(lambda: smtp_server.to("aisha@example.com"), "Aisha's next e-mail")
    assert mail["From"] == "Harbour Physio <portal@harbour.example>"
    assert "Harbour Physio" in mail["Subject"]
    assert not PRODUCT.search(mail.as_string())
    html = mail.get_body(("html",)).get_content()
    assert f"{live_server.url}/brand/{brunswick}/logo.png?v=" in html and "#1d5c46" in html
    assert "Harbour Physio · 1 Quay Street" in mail.get_body(("plain",)).get_content()
    visit.assert_no_csp_reports()
