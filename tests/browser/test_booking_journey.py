"""Booking from the portal in a real browser: Aisha books Carlos's first free time, sees it on her home page and
Carlos on his week; she moves it, then cancels it; an appointment inside the cut-off tells her to call.
JavaScript on and off, on a 320 px phone, axe on every page."""

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app import clock
from app.appointments.models import Appointment
from app.appointments.setup import BookingRules, Service, WeeklyHours
from app.auth.models import User
from app.db import db
from tests.browser.conftest import PHONE, carlos_and_aisha
from tests.browser.test_invite_journey import log_in

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def carlos_books_online(live_server):
    """Instant booking with 25 hours' notice and a 24-hour cut-off; Carlos offers a session 08:00–18:00 daily."""
    carlos_id, aisha_id = carlos_and_aisha(live_server.app)
    with live_server.app.app_context():
        carlos = db.session.get(User, carlos_id)
        workspace_id = carlos.workspace_id
        db.session.add(BookingRules(workspace_id=workspace_id, mode="instant", min_notice_minutes=25 * 60,
                                    horizon_days=21, slot_step_minutes=30, change_cutoff_minutes=24 * 60,
                                    new_clients_may_book=True, phone="+1 207 555 0100"))
        db.session.add(Service(workspace_id=workspace_id, name="Follow-up session", duration_minutes=50,
                               kind="telehealth", buffer_after_minutes=10, created_at=clock.now(),
                               practitioners=[carlos]))
        db.session.add_all(WeeklyHours(workspace_id=workspace_id, practitioner_id=carlos_id, weekday=day,
                                       starts=time(8), ends=time(18)) for day in range(7))
        db.session.commit()
    return carlos_id, aisha_id


@javascript_on_and_off
def test_aisha_books_moves_and_cancels_an_appointment_with_carlos(javascript, carlos_books_online, live_server,
                                                                   visit):
    carlos_id, aisha_id = carlos_books_online
    client = visit.page(javascript, viewport=PHONE)
    log_in(client, "aisha@example.com", at="/portal/login")
    client.get_by_role("link", name="Appointments", exact=True).click()
    client.get_by_role("link", name="Book an appointment").click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Book an appointment")
    visit.assert_accessible(client, "the services")
    client.get_by_role("link", name=re.compile("^Follow-up session")).click()
    visit.assert_accessible(client, "who to see")
    client.get_by_role("link", name="Carlos Diaz").click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Follow-up session with Carlos Diaz: choose a time")
    visit.assert_accessible(client, "the free times")
    first = client.locator("a.slot").first
    assert first.bounding_box()["height"] >= 44
    first.click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Confirm your appointment")
    when = client.locator(".facts dd").nth(2).inner_text()
    visit.assert_accessible(client, "the confirm page")
    client.get_by_role("button", name="Book this appointment").click()
    expect(client.get_by_text(f"Booked: {when} with Carlos Diaz.")).to_be_visible()
    visit.assert_accessible(client, "the appointments with the new booking")

    client.get_by_role("link", name="Home").click()
    upcoming = client.get_by_role("region", name="Upcoming")
    expect(upcoming).to_contain_text(when)
    expect(upcoming).to_contain_text("With Carlos Diaz · Telehealth · 50 min")
    visit.assert_accessible(client, "the home page with the booking")

    with live_server.app.app_context():
        booked = db.session.query(Appointment).filter_by(client_id=aisha_id).one()
        day = booked.starts_at.astimezone(NEW_YORK).date()
    staff = visit.page(javascript)
    log_in(staff, "carlos@brunswick.example")
    staff.goto(f"/calendar?view=week&day={day.isoformat()}")
    expect(staff.locator("#calendar")).to_contain_text("Aisha Rahman")
    visit.assert_accessible(staff, "Carlos's week with the booking")

    client.get_by_role("link", name="Appointments", exact=True).click()
    client.get_by_role("link", name=re.compile("^Reschedule")).click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Reschedule your appointment")
    visit.assert_accessible(client, "the times to move to")
    client.locator("a.slot").nth(3).click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Confirm the new time")
    moved_to = client.locator(".facts dd").nth(2).inner_text()
    visit.assert_accessible(client, "the confirm page for the move")
    client.get_by_role("button", name="Move my appointment").click()
    expect(client.get_by_text(f"Moved: {moved_to} with Carlos Diaz.")).to_be_visible()

    client.get_by_role("link", name=re.compile("^Cancel")).click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Cancel your appointment?")
    visit.assert_accessible(client, "the cancel page")
    client.get_by_role("button", name="Cancel the appointment").click()
    expect(client.get_by_text(f"Cancelled: {moved_to} with Carlos Diaz.")).to_be_visible()
    expect(client.locator(".tag", has_text="Cancelled")).to_be_visible()
    visit.assert_accessible(client, "the appointments after cancelling")

    with live_server.app.app_context():  # the practice books her for tomorrow: inside the cut-off
        db.session.add(Appointment(workspace_id=booked.workspace_id, client_id=aisha_id, practitioner_id=carlos_id,
                                   starts_at=clock.now() + timedelta(hours=20), duration_minutes=50,
                                   kind="telehealth", created_at=clock.now()))
        db.session.commit()
    client.reload()
    expect(client.get_by_text("It's too close to change online. To reschedule or cancel, call")).to_be_visible()
    expect(client.get_by_role("link", name="+1 207 555 0100")).to_be_visible()
    visit.assert_accessible(client, "the appointments inside the cut-off")
    visit.assert_no_csp_reports()
