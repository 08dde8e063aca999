"""Keeping records right in a real browser: correcting a refused address and re-sending the invite in one step,
and being warned before writing to a client who can't read it yet. JavaScript on and off, axe-core on each page."""

import re

import pytest
from playwright.sync_api import expect

from app.clients.invites import send_portal_invite
from app.db import db
from tests.browser.conftest import wait_until
from tests.browser.test_invite_journey import log_in
from tests.conftest import make_client, make_staff, make_workspace

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])


@pytest.fixture
def dev_refused(live_server, smtp_server) -> int:
    """Carlos's client Dev, whose invite the mail server refused ("550 User unknown"), and Farid, without e-mail."""
    with live_server.app.app_context():
        workspace = make_workspace()
        carlos = make_staff(workspace, "carlos@brunswick.example", "practitioner", "Carlos Diaz")
        dev = make_client(workspace, "Dev", "Patel", "refused-dev@example.net", care_team=[carlos])
        make_client(workspace, "Farid", "Haddad", None, care_team=[carlos])
        send_portal_invite(dev, carlos)
        db.session.commit()
        return dev.id


@javascript_on_and_off
def test_it_corrects_a_refused_address_and_resends_the_invite_in_one_step(javascript, dev_refused, live_server,
                                                                         smtp_server, visit):
    staff = visit.page(javascript)
    log_in(staff, "carlos@brunswick.example")
    staff.goto(f"/clients/{dev_refused}")

    def refused() -> bool:
        staff.reload()
        return staff.locator("#portal .tag").inner_text() == "Invite not delivered"

    wait_until(refused, "the invite to be refused")
    staff.get_by_role("link", name="Correct the address").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Edit Dev Patel")
    expect(staff.get_by_text("User unknown")).to_be_visible()
    expect(staff.get_by_role("checkbox", name="Carlos Diaz")).to_be_checked()
    visit.assert_accessible(staff, "the edit form of a client whose invite was refused")

    staff.get_by_label("E-mail address").fill("dev@example")
    staff.get_by_role("button", name="Save and re-send the invite").click()
    expect(staff.get_by_label("E-mail address")).to_have_accessible_description(
        re.compile("Enter a valid e-mail address"))
    expect(staff).to_have_title(re.compile(r"^Error: Edit Dev Patel"))
    visit.assert_accessible(staff, "the edit form with an error")

    staff.get_by_label("E-mail address").fill("dev@example.net")
    staff.get_by_role("button", name="Save and re-send the invite").click()
    expect(staff).to_have_url(f"{live_server.url}/clients/{dev_refused}")
    expect(staff.get_by_text("Portal invite on its way to dev@example.net.")).to_be_visible()
    expect(staff.get_by_role("definition").filter(has_text="dev@example.net")).to_be_visible()
    wait_until(lambda: smtp_server.to("dev@example.net"), "the invite to the corrected address")
    visit.assert_accessible(staff, "the record after the corrected invite")
    visit.assert_no_csp_reports()


@javascript_on_and_off
def test_it_warns_before_writing_to_a_client_who_cannot_read_it(javascript, dev_refused, live_server, visit):
    staff = visit.page(javascript)
    log_in(staff, "carlos@brunswick.example")
    staff.goto("/inbox/compose")
    expect(staff.get_by_label("To")).to_contain_text("Farid Haddad (not in the portal yet)")
    if javascript:
        staff.get_by_label("To").select_option(label="Farid Haddad (not in the portal yet)")
    else:
        staff.goto(f"/inbox/compose?client={dev_refused + 1}")
    warning = staff.get_by_text("Farid Haddad has no e-mail address for a portal account, so they can't read "
                                "messages yet.")
    expect(warning).to_be_visible()
    visit.assert_accessible(staff, "compose with the warning")
    staff.get_by_label("Message").fill("Please call us to add your e-mail address.")
    staff.get_by_role("button", name="Send").click()
    expect(staff).to_have_url(re.compile(r"/inbox/\d+$"))
    expect(warning).to_be_visible()
    visit.assert_accessible(staff, "a conversation with a client not in the portal")
    visit.assert_no_csp_reports()
