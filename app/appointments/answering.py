"""Answering the requests clients make from the portal in request mode: approve (it is booked) or decline."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.appointments.models import Appointment
from app.appointments.notices import tell_client
from app.appointments.service import schedule_reminder
from app.audit.trail import record
from app.auth.models import User
from app.db import db
from app.paging import KeysetPage, keyset_page_of

REQUESTS_PER_PAGE = 20


class AlreadyAnswered(Exception):
    """A colleague (or a double click) answered this request a moment ago."""


def pending_requests(workspace_id: int, practitioner_id: int | None, cursor: str | None) -> KeysetPage:
    """Requests still waiting for an answer, the soonest first; everyone's when `practitioner_id` is None."""
    query = (select(Appointment)
             .where(Appointment.workspace_id == workspace_id, Appointment.status == "requested",
                    Appointment.cancelled_at.is_(None), Appointment.starts_at > clock.now())
             .options(selectinload(Appointment.client), selectinload(Appointment.practitioner),
                      selectinload(Appointment.service)))
    if practitioner_id is not None:
        query = query.where(Appointment.practitioner_id == practitioner_id)
    return keyset_page_of(query, [Appointment.starts_at, Appointment.id], cursor, REQUESTS_PER_PAGE,
                          scope="booking-requests")


def _answer(appointment: Appointment, status: str) -> None:
    db.session.refresh(appointment, with_for_update=True)
    if appointment.status != "requested" or appointment.cancelled_at is not None:
        raise AlreadyAnswered()
    appointment.status = status
    appointment.updated_at = clock.now()
    appointment.sequence += 1


def approve_request(appointment: Appointment, by: User) -> Appointment:
    """The request becomes a booked appointment, with its reminder."""
    _answer(appointment, "booked")
    schedule_reminder(appointment, appointment.client)
    tell_client(appointment, "booked")
    record("appointment.request_approved", workspace_id=appointment.workspace_id, client_id=appointment.client_id,
           actor_user_id=by.id)
    return appointment


def decline_request(appointment: Appointment, by: User, message: str | None) -> Appointment:
    """The request is turned down and holds no time; `message` is for the client (no health information)."""
    _answer(appointment, "declined")
    appointment.decline_message = message or None
    tell_client(appointment, "declined")
    record("appointment.request_declined", workspace_id=appointment.workspace_id, client_id=appointment.client_id,
           actor_user_id=by.id)
    return appointment
