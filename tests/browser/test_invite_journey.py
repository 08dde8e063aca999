"""The foundation journey in a real browser: staff add a client and invite them; the client sets a password
and lands in the portal. Every page is checked with axe-core, with JavaScript on and off."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, wait_until
from tests.conftest import PASSWORD, link_in, make_staff, make_workspace

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])

NEW_PASSWORD = "maple-harbour-lantern-42"
CARD_TITLES = ["Upcoming", "Forms", "Messages", "Invoices"]


@pytest.fixture
def brunswick(live_server):
    """Brunswick Practice with its owner and Carlos, a practitioner."""
    with live_server.app.app_context():
        workspace = make_workspace()
        make_staff(workspace, "owner@brunswick.example", "owner", "Maya Brennan")
        make_staff(workspace, "carlos@brunswick.example", "practitioner", "Carlos Diaz")


def log_in(page: Page, email: str, password: str = PASSWORD, at: str = "/login") -> None:
    page.goto(at)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def portal_status(page: Page):
    return page.locator("#portal .tag")


@javascript_on_and_off
def test_it_invites_a_new_client_who_sets_a_password_and_lands_in_the_portal(
        javascript, brunswick, live_server, smtp_server, visit):
    staff = visit.page(javascript)
    staff.goto("/login")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Log in")
    visit.assert_accessible(staff, "the login page")
    log_in(staff, "carlos@brunswick.example")

    expect(staff).to_have_url(re.compile(r"/clients$"))
    expect(staff.get_by_role("heading", level=1)).to_have_text("Clients")
    expect(staff.get_by_text("No clients yet.")).to_be_visible()
    visit.assert_accessible(staff, "the clients list")

    staff.get_by_role("link", name="Add client").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Add a client")
    visit.assert_accessible(staff, "the add client form")
    staff.get_by_role("button", name="Add client").click()
    expect(staff.get_by_label("First name")).to_have_accessible_description("Enter the client's first name.")
    expect(staff.get_by_label("Last name")).to_have_accessible_description("Enter the client's last name.")
    expect(staff).to_have_title(re.compile(r"^Error: Add a client"))
    visit.assert_accessible(staff, "the add client form with errors")

    staff.get_by_label("First name").fill("Aisha")
    staff.get_by_label("Last name").fill("Rahman")
    staff.get_by_label("E-mail address").fill("aisha@example.com")
    expect(staff.get_by_role("checkbox", name="Carlos Diaz")).to_be_checked()
    expect(staff.get_by_role("checkbox", name="Maya Brennan")).not_to_be_checked()
    staff.get_by_role("button", name="Add client").click()

    expect(staff).to_have_url(re.compile(r"/clients/\d+$"))
    record_url = staff.url
    expect(staff.get_by_role("heading", level=1)).to_have_text("Aisha Rahman")
    expect(staff.get_by_text("Aisha Rahman was added.")).to_be_visible()
    expect(portal_status(staff)).to_have_text("Not invited")
    visit.assert_accessible(staff, "the client record")

    staff.get_by_role("button", name="Send portal invite").focus()
    with staff.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/invite")) as answer:
        staff.keyboard.press("Enter")
    if javascript:
        assert answer.value.request.headers.get("hx-request") == "true"
        assert answer.value.status == 200
    else:
        assert answer.value.status == 303
    expect(staff.get_by_text("Portal invite on its way to aisha@example.com.")).to_be_visible()
    expect(staff.get_by_text("Aisha Rahman was added.")).to_have_count(0)
    assert staff.url == record_url
    # The job thread may already have delivered the e-mail by the time the panel is drawn.
    expect(portal_status(staff)).to_have_text(re.compile(r"^(Sending invite|Invited)$"))
    if javascript:
        expect(staff.get_by_role("button", name="Re-send invite")).to_be_focused()
    else:
        expect(staff.get_by_role("button", name="Re-send invite")).to_be_visible()
    expect(staff.get_by_role("button", name="Copy portal link")).to_be_visible(visible=javascript)
    visit.assert_accessible(staff, "the client record after sending the invite")

    if javascript:
        expect(portal_status(staff), "the panel polls itself while sending").to_have_text("Invited", timeout=10_000)
        expect(staff.get_by_role("button", name="Re-send invite")).to_be_focused()
    else:
        def shows_invited() -> bool:
            staff.reload()
            return portal_status(staff).inner_text() == "Invited"

        wait_until(shows_invited, "the client record to show the invite as sent")
    expect(staff.get_by_text(re.compile(r"the link expires"))).to_be_visible()

    invite_mail = wait_until(lambda: smtp_server.to("aisha@example.com"), "the invite e-mail")
    assert len(invite_mail) == 1
    link = link_in(invite_mail[0])
    assert link.startswith(f"{live_server.url}/invite/")

    client = visit.page(javascript, viewport=PHONE)
    client.goto(link)
    expect(client.get_by_role("heading", level=1)).to_have_text("Welcome to Brunswick Practice")
    visit.assert_accessible(client, "the invite page")

    client.get_by_label("New password").fill(NEW_PASSWORD)
    client.get_by_label("Repeat the password").fill(NEW_PASSWORD + "!")
    client.get_by_role("button", name="Create my account").click()
    expect(client.get_by_label("Repeat the password")).to_have_accessible_description(
        "The two passwords don't match.")
    expect(client.get_by_text("The two passwords don't match.")).to_be_visible()
    expect(client).to_have_title(re.compile(r"^Error: "))
    assert client.url == link
    visit.assert_accessible(client, "the invite page with an error")

    client.get_by_label("New password").fill(NEW_PASSWORD)
    client.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    client.get_by_role("button", name="Create my account").click()

    expect(client).to_have_url(f"{live_server.url}/portal")
    expect(client.get_by_role("heading", level=1)).to_have_text("Welcome, Aisha")
    expect(client.locator(".card h2")).to_have_text(CARD_TITLES)
    expect(client.get_by_role("region", name="Upcoming")).to_contain_text("Nothing booked")
    expect(client.get_by_role("region", name="Forms")).to_contain_text("Nothing to fill in")
    expect(client.get_by_role("region", name="Messages")).to_contain_text("No unread messages")
    expect(client.get_by_role("region", name="Invoices")).to_contain_text("No invoices yet")
    visit.assert_accessible(client, "the portal home")
    client.screenshot(path="/tmp/portal-home.png" if javascript else "/tmp/portal-home-no-js.png", full_page=True)

    staff.reload()
    expect(portal_status(staff)).to_have_text("Active")
    visit.assert_no_csp_reports()


@javascript_on_and_off
def test_it_refreshes_portal_cards_alone_and_copies_the_link_only_with_javascript(
        javascript, aisha_in_the_portal, live_server, visit):
    client = visit.page(javascript, viewport=PHONE)
    log_in(client, "aisha@example.com", at="/portal/login")
    expect(client).to_have_url(f"{live_server.url}/portal")

    if javascript:
        with client.expect_response(lambda r: r.url.endswith("/portal/cards/upcoming")) as answer:
            client.evaluate("""htmx.ajax("GET", "/portal/cards/upcoming",
                                         {source: "#card-upcoming", target: "#card-upcoming", swap: "outerHTML"})""")
        fragment = answer.value.text()
        assert answer.value.request.headers.get("hx-request") == "true"
        assert fragment.lstrip().startswith('<section class="card" id="card-upcoming"')
        assert "<html" not in fragment and "<h1" not in fragment and 'id="card-forms"' not in fragment
        assert "HX-Request" in answer.value.headers.get("vary", "")
    else:
        client.goto("/portal/cards/upcoming")
        expect(client.get_by_role("heading", level=1)).to_have_text("Welcome, Aisha")
    expect(client.locator(".card h2")).to_have_text(CARD_TITLES)
    expect(client.locator("#card-upcoming")).to_contain_text("Nothing booked")

    staff = visit.page(javascript)
    if javascript:
        staff.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(staff, "carlos@brunswick.example")
    staff.goto(f"/clients/{aisha_in_the_portal}")
    expect(portal_status(staff)).to_have_text("Active")
    link_field = staff.get_by_label("Portal link (to share by other means)")
    expect(link_field).to_have_value(f"{live_server.url}/portal")
    expect(link_field).not_to_be_editable()
    copy = staff.get_by_role("button", name="Copy portal link")
    if javascript:
        copy.click()
        expect(staff.get_by_text("Copied.")).to_be_visible()
        assert staff.evaluate("navigator.clipboard.readText()") == f"{live_server.url}/portal"
    else:
        expect(copy).to_be_hidden()
        expect(staff.locator("[data-copy='portal-link']")).to_have_count(1)
    visit.assert_no_csp_reports()
