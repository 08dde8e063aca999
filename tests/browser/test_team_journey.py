"""The team journey in a real browser: the owner invites a practitioner, who sets a password from the link in
the e-mail a real SMTP server received, and sees only the clients the owner puts on their roster. Every page is
checked with axe-core, with JavaScript on and off."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_until
from tests.browser.test_invite_journey import log_in
from tests.conftest import link_in, make_client, make_staff, make_workspace

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])

NEW_PASSWORD = "saffron-window-morning-31"


@pytest.fixture
def brunswick(live_server):
    """Brunswick Practice: its owner, Carlos with Aisha on his roster, and Ben on nobody's yet."""
    with live_server.app.app_context():
        workspace = make_workspace()
        make_staff(workspace, "owner@brunswick.example", "owner", "Maya Brennan")
        carlos = make_staff(workspace, "carlos@brunswick.example", "practitioner", "Carlos Diaz")
        make_client(workspace, care_team=[carlos])
        make_client(workspace, "Ben", "Okafor", "ben@example.com")


def client_names(page) -> list[str]:
    return page.locator("#client-rows td:first-child a").all_inner_texts()


@javascript_on_and_off
def test_it_invites_a_practitioner_who_signs_in_and_sees_only_their_roster(
        javascript, brunswick, live_server, smtp_server, visit):
    owner = visit.page(javascript)
    log_in(owner, "owner@brunswick.example")
    owner.get_by_role("link", name="Settings").click()
    owner.get_by_role("navigation", name="Workspace settings").get_by_role("link", name="Team").click()
    expect(owner).to_have_url(re.compile(r"/settings/team$"))
    expect(owner.get_by_role("heading", level=1)).to_have_text("Team")
    expect(owner.get_by_role("table", name="Staff of Brunswick Practice")).to_contain_text("Carlos Diaz")
    visit.assert_accessible(owner, "the Team page")

    owner.get_by_role("button", name="Send invite").click()
    expect(owner.get_by_label("Name")).to_have_accessible_description("Enter your colleague's name.")
    visit.assert_accessible(owner, "the invite form with errors")

    owner.get_by_label("Name").fill("Priya Shah")
    owner.get_by_label("E-mail address").fill("priya@brunswick.example")
    owner.get_by_label("Role").select_option(label="Practitioner")
    with owner.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/settings/team/invite")) \
            as answer:
        owner.get_by_role("button", name="Send invite").click()
    assert answer.value.status == (200 if javascript else 303)
    expect(owner.get_by_text("Invite on its way to priya@brunswick.example.")).to_be_visible()
    expect(owner.get_by_label("Name")).to_have_value("")
    invites = owner.get_by_role("region", name="Open invites")
    expect(invites).to_contain_text("Priya Shah")
    if javascript:
        expect(invites.locator(".tag"), "the list polls itself while sending").to_have_text("Invited",
                                                                                          timeout=10_000)
    visit.assert_accessible(owner, "the Team page after inviting")

    mail = wait_until(lambda: smtp_server.to("priya@brunswick.example"), "the staff invite e-mail")
    assert len(mail) == 1
    link = link_in(mail[0])
    assert link.startswith(f"{live_server.url}/team/invite/")

    priya = visit.page(javascript)
    priya.goto(link)
    expect(priya.get_by_role("heading", level=1)).to_have_text("Join Brunswick Practice")
    visit.assert_accessible(priya, "the staff invite page")
    priya.get_by_label("New password").fill(NEW_PASSWORD)
    priya.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    priya.get_by_role("button", name="Create my login").click()
    expect(priya).to_have_url(f"{live_server.url}/clients")
    expect(priya.get_by_text("No clients yet.")).to_be_visible()
    visit.assert_accessible(priya, "the new practitioner's client list")

    owner.goto("/settings/team")
    expect(owner.get_by_role("region", name="Open invites")).to_contain_text("No open invites.")
    owner.get_by_role("link", name="Priya Shah").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Priya Shah")
    visit.assert_accessible(owner, "Priya's page")
    owner.get_by_label("Find a client by name or e-mail").fill("okafor")
    owner.get_by_role("button", name="Find", exact=True).click()
    owner.get_by_role("button", name="Add Ben Okafor to the roster").click()
    expect(owner.get_by_text("Ben Okafor is now on Priya's roster.")).to_be_visible()
    expect(owner.get_by_role("table", name="Priya's roster", exact=True)).to_contain_text("Ben Okafor")
    visit.assert_accessible(owner, "Priya's page with Ben on her roster")

    priya.reload()
    expect(priya.get_by_role("heading", level=1)).to_have_text("Clients")
    assert client_names(priya) == ["Ben Okafor"]
    expect(priya.get_by_role("link", name="Settings")).to_have_count(0)
    visit.assert_accessible(priya, "Priya's client list with her roster")
    assert priya.goto("/settings/team").status == 403
    visit.assert_no_csp_reports()
