"""Booking requests: staff approve or decline them; practitioners hear of portal bookings as they prefer."""

from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app import clock
from app.appointments.models import Appointment, AppointmentReminder
from app.appointments.staff_notices import PracticeNotice, tell_practice
from app.audit.models import AuditEvent
from app.db import db
from tests.conftest import counting_queries, make_client, run_jobs


def a_request(client, practitioner, days_ahead: int = 3, status: str = "requested") -> Appointment:
    now = clock.now()
    appointment = Appointment(workspace_id=client.workspace_id, client_id=client.id, practitioner_id=practitioner.id,
                              starts_at=(now + timedelta(days=days_ahead)).replace(microsecond=0),
                              duration_minutes=50, kind="telehealth", created_at=now, updated_at=now, sequence=0,
                              status=status)
    db.session.add(appointment)
    db.session.commit()
    return appointment


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_it_lists_a_practitioners_pending_requests(practice, as_user):
    a_request(practice.aisha, practice.carlos)
    a_request(practice.aisha, practice.carlos, status="booked")
    page = as_user(practice.carlos).get("/calendar/requests")
    assert page.status_code == 200
    text = text_of(page)
    assert text.count("Aisha Rahman with Carlos Diaz") == 1
    assert "Approve" in text and "Decline" in text


def test_it_shows_a_practitioner_only_their_own_requests(practice, as_user):
    a_request(practice.aisha, practice.carlos)
    priya = as_user(practice.priya)
    assert "No requests are waiting." in text_of(priya.get("/calendar/requests"))
    assert priya.get(f"/calendar/requests?who={practice.carlos.id}").status_code == 403
    assert priya.get("/calendar/requests?who=all").status_code == 403
    assert "Aisha Rahman with Carlos Diaz" in text_of(as_user(practice.admin).get("/calendar/requests"))


def test_it_approves_a_request_with_its_reminder(practice, as_user):
    appointment = a_request(practice.aisha, practice.carlos)
    carlos = as_user(practice.carlos)
    response = carlos.post(f"/calendar/requests/{appointment.id}/approve")
    assert response.status_code == 303
    db.session.refresh(appointment)
    assert appointment.status == "booked"
    assert db.session.scalar(select(AppointmentReminder.starts_at).where(
        AppointmentReminder.appointment_id == appointment.id)) == appointment.starts_at
    assert "appointment.request_approved" in db.session.scalars(select(AuditEvent.action)).all()
    assert "Booked: Aisha Rahman is on the calendar." in text_of(carlos.get("/calendar/requests"))
    assert carlos.post(f"/calendar/requests/{appointment.id}/approve").status_code == 404


def test_it_declines_a_request_with_a_message(practice, as_user):
    appointment = a_request(practice.aisha, practice.carlos)
    response = as_user(practice.admin).post(f"/calendar/requests/{appointment.id}/decline",
                                            {"message": "Please pick a time next week."})
    assert response.status_code == 303
    db.session.refresh(appointment)
    assert (appointment.status, appointment.decline_message) == ("declined", "Please pick a time next week.")
    assert db.session.scalar(select(func.count(AppointmentReminder.id))) == 0


def test_it_refuses_a_too_long_decline_message_and_writes_nothing(practice, as_user):
    appointment = a_request(practice.aisha, practice.carlos)
    response = as_user(practice.carlos).post(f"/calendar/requests/{appointment.id}/decline", {"message": "x" * 501})
    assert response.status_code == 422
    assert "Use at most 500 characters." in text_of(response)
    db.session.refresh(appointment)
    assert (appointment.status, appointment.decline_message) == ("requested", None)


def test_it_forbids_answering_a_colleagues_request(practice, as_user):
    appointment = a_request(practice.aisha, practice.carlos)
    priya = as_user(practice.priya)
    assert priya.post(f"/calendar/requests/{appointment.id}/approve").status_code == 403
    assert priya.post(f"/calendar/requests/{appointment.id}/decline").status_code == 403
    db.session.refresh(appointment)
    assert appointment.status == "requested"


def test_it_answers_404_for_another_workspaces_request(practice, outsider, as_user):
    theirs = a_request(outsider.client, outsider.owner)
    owner = as_user(practice.owner)
    assert owner.post(f"/calendar/requests/{theirs.id}/approve").status_code == 404
    assert owner.post(f"/calendar/requests/{theirs.id}/decline").status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == "requested"


def test_it_refuses_an_answer_without_the_csrf_token(practice, as_user):
    appointment = a_request(practice.aisha, practice.carlos)
    carlos = as_user(practice.carlos)
    assert carlos.post(f"/calendar/requests/{appointment.id}/approve", csrf=False).status_code == 400
    assert carlos.post(f"/calendar/requests/{appointment.id}/decline", csrf=False).status_code == 400
    db.session.refresh(appointment)
    assert appointment.status == "requested"


def test_it_pages_the_requests_in_constant_queries(practice, as_user):
    clients = [make_client(practice.workspace, f"Client{n}", f"Number{n}", None) for n in range(25)]
    carlos = as_user(practice.carlos)
    for n, client in enumerate(clients[:2]):
        a_request(client, practice.carlos, days_ahead=2 + n)
    with counting_queries() as few:
        carlos.get("/calendar/requests")
    for n, client in enumerate(clients[2:]):
        a_request(client, practice.carlos, days_ahead=4 + n)
    with counting_queries() as many:
        first = text_of(carlos.get("/calendar/requests"))
    assert len(many) == len(few)
    assert first.count("with Carlos Diaz") == 20 and 'rel="next"' in first
    next_link = unescape(first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0])
    assert text_of(carlos.get(next_link)).count("with Carlos Diaz") == 5


# --- telling the practice -----------------------------------------------------------------------

def mail_text(message) -> str:
    return (message["Subject"] + message.get_body(("plain",)).get_content()
            + message.get_body(("html",)).get_content())


def test_it_tells_the_practitioner_by_email_without_health_data(smtp_server, practice, app):
    appointment = a_request(practice.aisha, practice.carlos, status="booked")
    tell_practice(appointment, "booked")
    db.session.commit()
    run_jobs(app)
    [message] = smtp_server.to("carlos@brunswick.example")
    text = mail_text(message)
    assert message["Subject"] == "A booking change at Brunswick Practice"
    assert "Aisha R. booked an appointment on" in text and "http://porch.test/calendar/requests" in text
    assert "Rahman" not in text
    run_jobs(app)
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("change, words", [("requested", "asked for an appointment"),
                                           ("rescheduled", "moved an appointment"),
                                           ("cancelled", "cancelled an appointment")])
def test_it_names_each_change(smtp_server, practice, app, change, words):
    tell_practice(a_request(practice.aisha, practice.carlos), change)
    db.session.commit()
    run_jobs(app)
    [message] = smtp_server.to("carlos@brunswick.example")
    assert f"Aisha R. {words} on" in mail_text(message)


def test_it_tells_in_porch_only_when_the_practitioner_prefers(smtp_server, practice, as_user, app):
    carlos = as_user(practice.carlos)
    assert "Booking notices" in text_of(carlos.get("/account"))
    assert carlos.post("/account/booking-notices", {"booking_notices": "porch"}).status_code == 303
    db.session.refresh(practice.carlos)
    assert practice.carlos.booking_notices == "porch"
    tell_practice(a_request(practice.aisha, practice.carlos, status="booked"), "booked")
    db.session.commit()
    run_jobs(app)
    assert smtp_server.messages == []
    page = text_of(carlos.get("/calendar/requests"))
    assert "Changes to your bookings (1 new)" in page and "Aisha R. booked an appointment on" in page
    assert carlos.post("/calendar/requests/seen").status_code == 303
    assert "(1 new)" not in text_of(carlos.get("/calendar/requests"))
    assert db.session.scalar(select(PracticeNotice.seen_at)) is not None


def test_it_refuses_an_unknown_notice_preference(practice, as_user):
    response = as_user(practice.carlos).post("/account/booking-notices", {"booking_notices": "pigeon"})
    assert response.status_code == 422
    assert "Not a valid choice" in text_of(response)
    db.session.refresh(practice.carlos)
    assert practice.carlos.booking_notices == "email"


def test_it_refuses_an_unknown_change(practice):
    with pytest.raises(ValueError):
        tell_practice(a_request(practice.aisha, practice.carlos), "teleported")
