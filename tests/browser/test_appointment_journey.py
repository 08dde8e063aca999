"""Booking in a real browser: staff book an appointment; the client sees it on the Upcoming card and downloads
a calendar file that parses. JavaScript on and off, axe on every page."""

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, carlos_and_aisha
from tests.browser.test_invite_journey import log_in

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])


@pytest.fixture
def aisha_in_london(live_server):
    return carlos_and_aisha(live_server.app, time_zone="Europe/London")[1]


@javascript_on_and_off
def test_staff_book_and_the_client_sees_it_and_adds_it_to_a_calendar(
        javascript, aisha_in_london, live_server, visit, tmp_path):
    day = (datetime.now(UTC) + timedelta(days=10)).date()
    staff = visit.page(javascript)
    log_in(staff, "carlos@brunswick.example")
    staff.goto(f"/clients/{aisha_in_london}")
    staff.get_by_role("link", name="Book appointment").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Book appointment for Aisha Rahman")
    visit.assert_accessible(staff, "the booking form")
    staff.get_by_role("button", name="Book appointment").click()
    expect(staff.get_by_label("Date")).to_have_accessible_description("Choose the date.")
    visit.assert_accessible(staff, "the booking form with errors")

    staff.get_by_label("Date").fill(day.isoformat())
    staff.get_by_label("Start time").fill("10:00")
    staff.get_by_label("Telehealth join link").fill("https://meet.example/carlos")
    staff.get_by_role("button", name="Book appointment").click()
    expect(staff.get_by_text("Appointment booked for Aisha.")).to_be_visible()
    appointments = staff.get_by_role("region", name="Appointments")
    expect(appointments).to_contain_text("10:00 AM")
    expect(appointments).to_contain_text("for Aisha")
    visit.assert_accessible(staff, "the client record with an appointment")

    client = visit.page(javascript, viewport=PHONE, accept_downloads=True)
    log_in(client, "aisha@example.com", at="/portal/login")
    upcoming = client.get_by_role("region", name="Upcoming")
    expect(upcoming).to_contain_text("With Carlos Diaz · Telehealth · 50 min")
    expect(upcoming).to_contain_text(re.compile(r"\d:00 PM"))  # 10:00 in New York is afternoon in London
    visit.assert_accessible(client, "the portal home with an appointment")
    upcoming.get_by_role("link", name="All appointments").click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Appointments")
    expect(client.get_by_text("The join link appears here 15 minutes before the start.")).to_be_visible()
    visit.assert_accessible(client, "the appointments page")

    with client.expect_download() as download:
        client.get_by_role("link", name=re.compile("^Add to calendar")).click()
    saved = Path(tmp_path / "appointment.ics")
    download.value.save_as(saved)
    [event] = Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    starts = event.decoded("dtstart")
    assert starts.astimezone(ZoneInfo("America/New_York")) == datetime.combine(
        day, time(10, 0), tzinfo=ZoneInfo("America/New_York"))
    assert event.decoded("dtend") - starts == timedelta(minutes=50)
    assert str(event["summary"]) == "Appointment with Carlos Diaz (Brunswick Practice)"
    visit.assert_no_csp_reports()
