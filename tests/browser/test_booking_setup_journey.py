"""Setting up online booking in a real browser: the owner adds a service, turns booking on, sets Carlos's weekly
hours, and answers Aisha's request. Every page is checked with axe-core, with JavaScript on and off."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import clock
from app.appointments.models import Appointment
from app.db import db
from tests.browser.test_invite_journey import log_in
from tests.conftest import make_client, make_staff, make_workspace

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])


@pytest.fixture
def brunswick(live_server):
    """Brunswick Practice: its owner, Carlos, and Aisha's request for an appointment with him."""
    with live_server.app.app_context():
        workspace = make_workspace()
        make_staff(workspace, "owner@brunswick.example", "owner", "Maya Brennan")
        carlos = make_staff(workspace, "carlos@brunswick.example", "practitioner", "Carlos Diaz")
        aisha = make_client(workspace, care_team=[carlos])
        now = clock.now()
        db.session.add(Appointment(workspace_id=workspace.id, client_id=aisha.id, practitioner_id=carlos.id,
                                   starts_at=now + timedelta(days=3), duration_minutes=50, kind="telehealth",
                                   created_at=now, updated_at=now, sequence=0, status="requested"))
        db.session.commit()


@javascript_on_and_off
def test_it_sets_up_online_booking_and_answers_a_request(javascript, brunswick, live_server, visit):
    owner = visit.page(javascript)
    log_in(owner, "owner@brunswick.example")
    owner.get_by_role("link", name="Settings").click()
    tabs = owner.get_by_role("navigation", name="Workspace settings")
    tabs.get_by_role("link", name="Services").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Services")
    visit.assert_accessible(owner, "the Services page")

    owner.get_by_role("link", name="Add a service").click()
    owner.get_by_label("Name").fill("Follow-up session")
    owner.get_by_label("Price").fill("ninety")
    owner.get_by_label("In person").check()
    owner.get_by_role("button", name="Add the service").click()
    expect(owner.get_by_label("Price")).to_have_accessible_description(re.compile("Enter a price like 95.00"))
    visit.assert_accessible(owner, "the service form with errors")
    owner.get_by_label("Price").fill("95.00")
    owner.get_by_label("Location").fill("12 Maine Street")
    owner.get_by_label("Carlos Diaz").check()
    owner.get_by_role("button", name="Add the service").click()
    expect(owner.get_by_text("Follow-up session was added.")).to_be_visible()
    expect(owner.get_by_role("table", name="Services of Brunswick Practice")).to_contain_text("$95.00")

    owner.get_by_role("navigation", name="Workspace settings").get_by_role("link", name="Online booking").click()
    owner.get_by_label("Instant").check()
    owner.get_by_role("button", name="Save").click()
    expect(owner.get_by_label("Practice phone")).to_have_accessible_description(
        re.compile("Enter the phone number clients should call"))
    visit.assert_accessible(owner, "the Online booking tab with errors")
    owner.get_by_label("Practice phone").fill("+1 207 555 0100")
    owner.get_by_label("Follow-up session").check()
    owner.get_by_role("button", name="Save").click()
    expect(owner.get_by_text("Online booking saved.")).to_be_visible()

    owner.get_by_role("navigation", name="Workspace settings").get_by_role("link", name="Availability").click()
    owner.get_by_role("link", name="Carlos Diaz").click()
    owner.get_by_label("From (Monday, row 1)").fill("09:00")
    owner.get_by_label("To (Monday, row 1)").fill("17:00")
    owner.get_by_role("button", name="Save weekly hours").click()
    expect(owner.get_by_text("Weekly hours saved.")).to_be_visible()
    expect(owner.get_by_label("To (Monday, row 1)")).to_have_value("17:00")
    visit.assert_accessible(owner, "Carlos's availability")

    owner.goto("/calendar/requests")
    expect(owner.get_by_text("Aisha Rahman with Carlos Diaz")).to_be_visible()
    visit.assert_accessible(owner, "the booking requests")
    owner.get_by_role("button", name="Approve the request of Aisha Rahman").click()
    expect(owner.get_by_text("Booked: Aisha Rahman is on the calendar.")).to_be_visible()
    expect(owner.get_by_text("No requests are waiting.")).to_be_visible()
    visit.assert_accessible(owner, "the booking requests answered")
