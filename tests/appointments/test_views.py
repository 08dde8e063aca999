"""Appointments: staff book, change and cancel; the client sees them in their own time zone, with an .ics."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from app import clock
from app.appointments.models import Appointment
from app.db import db
from tests.conftest import make_client, make_portal_account

BEFORE_US_DST_ENDS = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)  # New York on EDT, London already on GMT


def booking(**fields) -> dict:
    data = {"day": "2026-11-03", "start": "10:00", "duration_minutes": "50", "kind": "telehealth",
            "join_url": "https://meet.example/carlos", "location": "", "note": "Bring your sleep diary.",
            "request_key": str(uuid.uuid4())}
    data.update(fields)
    return data


@pytest.fixture
def lena(practice):
    """A client in London on Carlos's roster, with a portal account (the practice is in New York)."""
    client = make_client(practice.workspace, "Lena", "Lund", "lena@example.com", care_team=[practice.carlos],
                         time_zone="Europe/London")
    make_portal_account(client)
    return client


def book(as_user, practice, client, **fields):
    carlos = as_user(practice.carlos)
    response = carlos.post(f"/clients/{client.id}/appointments/new",
                           booking(practitioner=str(practice.carlos.id), **fields))
    return carlos, response


def count() -> int:
    return db.session.scalar(select(func.count(Appointment.id)))


def test_it_books_across_a_daylight_saving_change_for_a_client_in_another_zone(practice, lena, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    carlos, response = book(as_user, practice, lena)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/clients/{lena.id}#appointments"
    appointment = db.session.scalar(select(Appointment))
    assert appointment.starts_at == datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # 10:00 EST, not EDT
    record = carlos.get(f"/clients/{lena.id}").get_data(as_text=True)
    assert "Tuesday 3 November, 10:00 AM</strong> <span class=\"hint\">(3:00 PM London time for Lena)</span>" in record
    portal = as_user(lena.account)
    assert "Tuesday 3 November, 3:00 PM" in portal.get("/portal/cards/upcoming", htmx=True).get_data(as_text=True)
    assert "Tuesday 3 November, 3:00 PM" in portal.get("/portal/appointments").get_data(as_text=True)


def test_it_shows_each_side_its_own_time_in_the_weeks_the_zones_disagree(practice, lena, as_user):
    clock.freeze(BEFORE_US_DST_ENDS - timedelta(days=1))
    carlos, _ = book(as_user, practice, lena, day="2026-10-28", start="10:00")
    assert db.session.scalar(select(Appointment.starts_at)) == datetime(2026, 10, 28, 14, 0, tzinfo=UTC)
    assert "Wednesday 28 October, 10:00 AM" in carlos.get(f"/clients/{lena.id}").get_data(as_text=True)
    page = as_user(lena.account).get("/portal/appointments").get_data(as_text=True)
    assert "Wednesday 28 October, 2:00 PM" in page  # four hours apart this week, not five
    assert "Times are in your time zone, Europe/London." in page


def test_it_refuses_a_time_the_clocks_skip(practice, lena, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    _, response = book(as_user, practice, lena, day="2027-03-14", start="02:30")
    assert response.status_code == 422
    assert "02:30 doesn&#39;t exist on 14 March 2027 in America/New_York: the clocks go forward." in \
        response.get_data(as_text=True)
    assert count() == 0


@pytest.mark.parametrize(("fields", "message"), [
    ({"join_url": ""}, "Add the link the client uses to join."),
    ({"join_url": "javascript:alert(1)"}, "Enter the full link, starting with https://."),
    ({"kind": "in_person", "location": ""}, "Say where the appointment takes place."),
    ({"kind": "video"}, "Not a valid choice"),
    ({"duration_minutes": "0"}, "Use a length from 5 to 720 minutes."),
    ({"duration_minutes": "lots"}, "Not a valid integer value."),
    ({"duration_minutes": "9" * 400}, "Not a valid integer value."),
    ({"day": ""}, "Choose the date."),
    ({"start": "25:00"}, "Not a valid time value."),
    ({"practitioner": "999999"}, "Not a valid choice"),
    ({"note": "x" * 1001}, "Use at most 1,000 characters."),
])
def test_it_explains_bad_input_and_books_nothing(practice, lena, as_user, fields, message):
    carlos = as_user(practice.carlos)
    data = booking(practitioner=str(practice.carlos.id)) | fields
    response = carlos.post(f"/clients/{lena.id}/appointments/new", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count() == 0


def test_it_books_one_appointment_from_a_double_submit(practice, lena, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    carlos = as_user(practice.carlos)
    data = booking(practitioner=str(practice.carlos.id))
    carlos.post(f"/clients/{lena.id}/appointments/new", data)
    carlos.post(f"/clients/{lena.id}/appointments/new", data)
    assert count() == 1


def test_it_changes_and_cancels_and_the_client_sees_so(practice, lena, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    carlos, _ = book(as_user, practice, lena)
    appointment = db.session.scalar(select(Appointment))
    form = carlos.get(f"/clients/{lena.id}/appointments/{appointment.id}/edit").get_data(as_text=True)
    assert 'value="2026-11-03"' in form and 'value="10:00"' in form
    response = carlos.post(f"/clients/{lena.id}/appointments/{appointment.id}/edit",
                           booking(practitioner=str(practice.priya.id), start="11:30", kind="in_person",
                                   location="Room 2, 14 Sydney Road"))
    assert response.status_code == 303
    db.session.refresh(appointment)
    assert appointment.starts_at == datetime(2026, 11, 3, 16, 30, tzinfo=UTC)
    assert (appointment.kind, appointment.join_url, appointment.sequence) == ("in_person", None, 1)
    portal = as_user(lena.account)
    page = portal.get("/portal/appointments").get_data(as_text=True)
    assert "With Priya Shah · In person · 50 min" in page and "At Room 2, 14 Sydney Road" in page
    assert carlos.post(f"/clients/{lena.id}/appointments/{appointment.id}/cancel", {}).status_code == 303
    page = portal.get("/portal/appointments").get_data(as_text=True)
    assert '<span class="tag tag-overdue">Cancelled</span>' in page
    assert "This appointment was cancelled." in page and "Add to calendar" not in page
    assert "Nothing booked" in portal.get("/portal/cards/upcoming", htmx=True).get_data(as_text=True)
    assert carlos.get(f"/clients/{lena.id}/appointments/{appointment.id}/edit").status_code == 409


def test_it_shows_the_join_link_only_near_the_start(practice, lena, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    book(as_user, practice, lena)
    starts = db.session.scalar(select(Appointment.starts_at))
    portal = as_user(lena.account)
    page = portal.get("/portal/appointments").get_data(as_text=True)
    assert "https://meet.example/carlos" not in page
    assert "The join link appears here 15 minutes before the start." in page
    assert "Note from Brunswick Practice: Bring your sleep diary." in page
    clock.freeze(starts - timedelta(minutes=15))
    portal = as_user(lena.account)
    assert 'href="https://meet.example/carlos"' in portal.get("/portal/appointments").get_data(as_text=True)
    clock.freeze(starts + timedelta(minutes=50))
    portal = as_user(lena.account)
    page = portal.get("/portal/appointments").get_data(as_text=True)
    assert "https://meet.example/carlos" not in page
    assert page.index("<h2 id=\"past-title\">Past</h2>") < page.index("With Carlos Diaz")


def test_it_downloads_a_valid_calendar_file(practice, lena, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    book(as_user, practice, lena)
    appointment = db.session.scalar(select(Appointment))
    response = as_user(lena.account).get(f"/portal/appointments/{appointment.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="appointment-{appointment.id}.ics"'
    [event] = Calendar.from_ical(response.get_data()).walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 11, 3, 15, 50, tzinfo=UTC)
    assert str(event["summary"]) == "Appointment with Carlos Diaz (Brunswick Practice)"
    assert str(event["location"]) == "https://meet.example/carlos"
    assert str(event["uid"]) == f"appointment-{appointment.id}@porch.test"
    assert str(event["status"]) == "CONFIRMED"


def test_it_answers_404_for_another_clients_appointment(practice, lena, outsider, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    book(as_user, practice, lena)
    lenas = db.session.scalar(select(Appointment))
    make_portal_account(practice.aisha)
    aisha = as_user(practice.aisha.account)
    assert aisha.get(f"/portal/appointments/{lenas.id}.ics").status_code == 404
    assert "Lena" not in aisha.get("/portal/appointments").get_data(as_text=True)
    priya = as_user(practice.priya)  # Lena is not on Priya's roster
    assert priya.get(f"/clients/{lena.id}/appointments/{lenas.id}/edit").status_code == 404
    assert priya.post(f"/clients/{lena.id}/appointments/{lenas.id}/cancel", {}).status_code == 404
    boss = as_user(outsider.owner)
    assert boss.post(f"/clients/{lena.id}/appointments/new", booking()).status_code == 404
    carlos = as_user(practice.carlos)
    assert carlos.get(f"/clients/{practice.aisha.id}/appointments/{lenas.id}/edit").status_code == 404
    db.session.refresh(lenas)
    assert lenas.cancelled_at is None


def test_it_refuses_a_cancel_without_its_csrf_token(practice, lena, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    carlos, _ = book(as_user, practice, lena)
    appointment = db.session.scalar(select(Appointment))
    assert carlos.post(f"/clients/{lena.id}/appointments/{appointment.id}/cancel", {}, csrf=False).status_code == 400
    db.session.refresh(appointment)
    assert appointment.cancelled_at is None


def test_it_shows_the_year_of_an_appointment_next_year(practice, lena, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    carlos, response = book(as_user, practice, lena, day="2027-01-05")
    assert response.status_code == 303
    record = carlos.get(f"/clients/{lena.id}").get_data(as_text=True)
    assert "Tuesday 5 January 2027, 10:00 AM</strong>" in record
    portal = as_user(lena.account).get("/portal/appointments").get_data(as_text=True)
    assert "Tuesday 5 January 2027, 3:00 PM" in portal
