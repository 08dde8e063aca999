"""The reminder e-mail 24 hours before: sent once, in the client's time zone, without health data;
rescheduling or cancelling supersedes it; the sweep sends what a dropped job didn't."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.appointments.models import AppointmentReminder
from app.appointments.service import Details, book_appointment, cancel_appointment, change_appointment
from app.db import db
from jobs.appointments import send_appointment_reminder
from jobs.sweeps import run_sweeps
from tests.conftest import make_client, run_jobs

BOOKED_AT = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)
STARTS = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # Monday 2 November, 9:00 AM in New York (EST)


def details(practice, starts_at=STARTS, **more) -> Details:
    values = {"starts_at": starts_at, "duration_minutes": 50, "practitioner_id": practice.carlos.id,
              "kind": "telehealth", "join_url": "https://meet.example/carlos", "location": None,
              "note": "Bring your sleep diary."} | more
    return Details(**values)


@pytest.fixture
def booked(practice):
    clock.freeze(BOOKED_AT)
    appointment = book_appointment(practice.aisha, practice.carlos, details(practice), None)
    db.session.commit()
    return appointment


def reminders_to(smtp_server, address="aisha@example.com"):
    return smtp_server.to(address)


def test_it_mails_the_reminder_24_hours_before_across_the_dst_change(smtp_server, practice, app, booked):
    reminder = db.session.scalar(select(AppointmentReminder))
    assert reminder.due_at == STARTS - timedelta(hours=24)  # 24 real hours, though the clocks went back between
    clock.freeze(reminder.due_at - timedelta(minutes=1))
    run_jobs(app)
    send_appointment_reminder(reminder.id)
    run_sweeps()
    assert reminders_to(smtp_server) == []
    clock.freeze(reminder.due_at)
    run_jobs(app)
    [message] = reminders_to(smtp_server)
    assert message["Subject"] == "Reminder: your appointment with Brunswick Practice"
    text = message.get_body(("plain",)).get_content()
    assert "on Monday 2 November at 9:00 AM (America/New York time)" in text
    assert "http://porch.test/portal/appointments" in text
    html = message.get_body(("html",)).get_content()
    for secret in ("Aisha", "Rahman", "Carlos", "Telehealth", "telehealth", "meet.example", "sleep diary"):
        assert secret not in text and secret not in html and secret not in message["Subject"]
    send_appointment_reminder(reminder.id)
    run_sweeps()
    assert len(reminders_to(smtp_server)) == 1


def test_it_shows_the_time_in_the_clients_own_zone(smtp_server, practice, app):
    clock.freeze(BOOKED_AT)
    lena = make_client(practice.workspace, "Lena", "Lund", "lena@example.com", time_zone="Europe/London")
    book_appointment(lena, practice.carlos, details(practice), None)
    db.session.commit()
    clock.freeze(STARTS - timedelta(hours=24))
    run_jobs(app)
    [message] = reminders_to(smtp_server, "lena@example.com")
    assert "on Monday 2 November at 2:00 PM (Europe/London time)" in message.get_body(("plain",)).get_content()


def test_rescheduling_supersedes_the_old_reminder(smtp_server, practice, app, booked):
    moved = STARTS + timedelta(days=2)
    change_appointment(booked, practice.aisha, details(practice, starts_at=moved))
    db.session.commit()
    old, new = db.session.scalars(select(AppointmentReminder).order_by(AppointmentReminder.id)).all()
    assert old.superseded_at is not None and new.due_at == moved - timedelta(hours=24)
    clock.freeze(STARTS - timedelta(hours=24))
    run_jobs(app)
    run_sweeps()
    assert reminders_to(smtp_server) == []
    clock.freeze(moved - timedelta(hours=24))
    run_jobs(app)
    [message] = reminders_to(smtp_server)
    assert "Wednesday 4 November at 9:00 AM" in message.get_body(("plain",)).get_content()


def test_changing_other_details_keeps_the_one_reminder(smtp_server, practice, app, booked):
    change_appointment(booked, practice.aisha, details(practice, practitioner_id=practice.priya.id))
    db.session.commit()
    assert len(db.session.scalars(select(AppointmentReminder)).all()) == 1
    clock.freeze(STARTS - timedelta(hours=24))
    run_jobs(app)
    assert len(reminders_to(smtp_server)) == 1


def test_cancelling_supersedes_the_reminder(smtp_server, practice, app, booked):
    cancel_appointment(booked)
    db.session.commit()
    clock.freeze(STARTS - timedelta(hours=24))
    run_jobs(app)
    run_sweeps()
    assert reminders_to(smtp_server) == []


def test_the_sweep_sends_a_reminder_whose_job_was_dropped(smtp_server, practice, app, booked):
    app.extensions["porch.queue"]._heap.clear()  # the queue lost the job (a Redis outage, a restart)
    clock.freeze(STARTS - timedelta(hours=23))
    run_sweeps()
    run_sweeps()
    assert len(reminders_to(smtp_server)) == 1


def test_a_late_booking_is_reminded_at_once_and_a_past_one_never(smtp_server, practice, app):
    clock.freeze(BOOKED_AT)
    book_appointment(practice.aisha, practice.carlos, details(practice, starts_at=BOOKED_AT + timedelta(hours=3)),
                     None)
    book_appointment(practice.aisha, practice.carlos, details(practice, starts_at=BOOKED_AT - timedelta(hours=3)),
                     None)
    db.session.commit()
    run_jobs(app)
    assert len(reminders_to(smtp_server)) == 1
    assert len(db.session.scalars(select(AppointmentReminder)).all()) == 1
