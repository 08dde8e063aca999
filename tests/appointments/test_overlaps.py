"""Staff booking refuses a start that has passed and warns on the practitioner's overlapping appointments."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.appointments.models import Appointment
from app.db import db
from tests.appointments.test_views import BEFORE_US_DST_ENDS, book, booking, count
from tests.conftest import make_client


@pytest.fixture
def nora(practice):
    return make_client(practice.workspace, "Nora", "Nash", "nora@example.com", care_team=[practice.carlos])


@pytest.fixture
def lena(practice):
    return make_client(practice.workspace, "Lena", "Lund", "lena@example.com", care_team=[practice.carlos],
                       time_zone="Europe/London")


@pytest.mark.parametrize(("day", "start"), [("2025-06-01", "10:00"), ("2026-10-28", "07:59")])
def test_it_refuses_a_start_that_has_passed_and_writes_nothing(practice, lena, as_user, day, start):
    clock.freeze(BEFORE_US_DST_ENDS)  # 08:00 in New York
    _, response = book(as_user, practice, lena, day=day, start=start)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<p class="error" id="day-error">Choose a date and time that hasn&#39;t passed yet.</p>' in page
    assert count() == 0


def test_it_refuses_an_overlap_unless_book_anyway_is_ticked(practice, lena, nora, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    carlos, first = book(as_user, practice, lena, start="10:00")
    assert first.status_code == 303
    form = carlos.get(f"/clients/{nora.id}/appointments/new").get_data(as_text=True)
    assert "Book anyway" not in form  # offered only once there is a clash
    _, clash = book(as_user, practice, nora, start="10:30", duration_minutes="30")
    assert clash.status_code == 422
    page = clash.get_data(as_text=True)
    assert ("Carlos Diaz already has an appointment then (Tuesday 3 November, 10:00 AM to 10:50 AM). "
            "Choose another time, or tick “Book anyway”.") in page
    assert 'name="book_anyway"' in page and "Tick this to book it all the same." in page
    assert "Lena" not in page  # the other appointment's client is not named
    assert count() == 1
    _, anyway = book(as_user, practice, nora, start="10:30", duration_minutes="30", book_anyway="y")
    assert anyway.status_code == 303
    assert count() == 2


@pytest.mark.parametrize(("start", "minutes", "clashes"), [
    ("09:10", "50", False),  # ends at 10:00 as the other starts
    ("10:50", "50", False),  # starts as the other ends
    ("09:30", "31", True),
    ("10:49", "5", True),
    ("09:00", "180", True),  # around it
])
def test_it_counts_only_shared_minutes_as_an_overlap(practice, lena, nora, as_user, start, minutes, clashes):
    clock.freeze(BEFORE_US_DST_ENDS)
    book(as_user, practice, lena, start="10:00")
    _, response = book(as_user, practice, nora, start=start, duration_minutes=minutes)
    assert response.status_code == (422 if clashes else 303)
    assert count() == (1 if clashes else 2)


def test_other_practitioners_and_cancelled_appointments_do_not_clash(practice, lena, nora, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    carlos, _ = book(as_user, practice, lena, start="10:00")
    priya = carlos.post(f"/clients/{nora.id}/appointments/new",
                        booking(practitioner=str(practice.priya.id), start="10:00"))
    assert priya.status_code == 303
    first = db.session.scalar(select(Appointment).where(Appointment.client_id == lena.id))
    carlos.post(f"/clients/{lena.id}/appointments/{first.id}/cancel", {})
    _, again = book(as_user, practice, nora, start="10:00")
    assert again.status_code == 303
    assert count() == 3


def test_changing_an_appointment_checks_the_new_time_but_not_itself(practice, lena, nora, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    carlos, _ = book(as_user, practice, lena, start="10:00")
    book(as_user, practice, nora, start="12:00")
    own = db.session.scalar(select(Appointment).where(Appointment.client_id == nora.id))
    url = f"/clients/{nora.id}/appointments/{own.id}/edit"
    longer = carlos.post(url, booking(practitioner=str(practice.carlos.id), start="12:00", duration_minutes="60"))
    assert longer.status_code == 303  # overlaps only its own old time
    onto = carlos.post(url, booking(practitioner=str(practice.carlos.id), start="10:15"))
    assert onto.status_code == 422
    assert "Carlos Diaz already has an appointment then" in onto.get_data(as_text=True)
    db.session.refresh(own)
    assert (own.starts_at, own.duration_minutes) == (datetime(2026, 11, 3, 17, 0, tzinfo=UTC), 60)


def test_an_appointment_under_way_keeps_its_time_when_its_note_changes(practice, lena, as_user):
    clock.freeze(BEFORE_US_DST_ENDS)
    carlos, _ = book(as_user, practice, lena, start="10:00")
    appointment = db.session.scalar(select(Appointment))
    clock.freeze(appointment.starts_at + timedelta(minutes=10))
    carlos = as_user(practice.carlos)  # a fresh sign-in: the first one has idled out by now
    response = carlos.post(f"/clients/{lena.id}/appointments/{appointment.id}/edit",
                           booking(practitioner=str(practice.carlos.id), start="10:00", note="Running late."))
    assert response.status_code == 303
    db.session.refresh(appointment)
    assert appointment.note == "Running late."
    moved = carlos.post(f"/clients/{lena.id}/appointments/{appointment.id}/edit",
                        booking(practitioner=str(practice.carlos.id), start="09:00"))
    assert moved.status_code == 422
