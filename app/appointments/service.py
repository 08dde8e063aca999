"""Appointments: booking, changing and cancelling them, their reminder e-mail, and the .ics a client downloads."""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app import clock
from app.appointments.models import LONGEST_APPOINTMENT, Appointment, AppointmentReminder
from app.audit.trail import record
from app.auth.models import User
from app.clients.models import Client
from app.db import db
from app.paging import KeysetPage, keyset_page_of
from app.queue import enqueue_at
from app.tenancy import repeat_of

REMINDER_LEAD = timedelta(hours=24)
JOIN_OPENS_BEFORE = timedelta(minutes=15)


class NoSuchLocalTime(ValueError):
    """The clocks skip this time on that day (the spring daylight-saving change)."""


def local_start(day: date, at: time, time_zone: str) -> datetime:
    """The moment `day` `at` o'clock in `time_zone`. NoSuchLocalTime if the clocks skip it; in the autumn
    hour that happens twice, the first one."""
    zone = ZoneInfo(time_zone)
    moment = datetime.combine(day, at, tzinfo=zone)
    if moment.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise NoSuchLocalTime(f"{at:%H:%M} doesn't exist on {day:%d %B %Y} in {time_zone}: the clocks go forward.")
    return moment


@dataclass(frozen=True)
class Details:
    starts_at: datetime
    duration_minutes: int
    practitioner_id: int
    kind: str
    join_url: str | None
    location: str | None
    note: str | None


def overlapping(workspace_id: int, practitioner_id: int, starts_at: datetime, duration_minutes: int,
                ignore_id: int | None = None) -> list[Appointment]:
    """The practitioner's appointments that hold time (not cancelled, not a declined request) and share any minute
    with this span, soonest first. A pending request holds its time too."""
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    query = (select(Appointment)
             .where(Appointment.workspace_id == workspace_id, Appointment.practitioner_id == practitioner_id,
                    Appointment.cancelled_at.is_(None), Appointment.status != "declined",
                    Appointment.starts_at < ends_at,
                    Appointment.starts_at > starts_at - LONGEST_APPOINTMENT)
             .order_by(Appointment.starts_at))
    if ignore_id is not None:
        query = query.where(Appointment.id != ignore_id)
    return [a for a in db.session.scalars(query) if a.ends_at > starts_at]


def book_appointment(client: Client, booked_by: User, details: Details, request_key: str | None) -> Appointment:
    """Add an appointment and its reminder; a repeat of the same form (same request key) returns the first one."""
    repeat = repeat_of(Appointment, client.workspace_id, request_key)
    if repeat is not None:
        return repeat
    now = clock.now()
    appointment = Appointment(workspace_id=client.workspace_id, client_id=client.id, request_key=request_key,
                              created_at=now, updated_at=now, sequence=0)
    _apply(appointment, details)
    db.session.add(appointment)
    db.session.flush()
    schedule_reminder(appointment, client)
    record("appointment.booked", workspace_id=client.workspace_id, client_id=client.id, actor_user_id=booked_by.id)
    return appointment


def change_appointment(appointment: Appointment, client: Client, details: Details) -> Appointment:
    moved = details.starts_at != appointment.starts_at
    _apply(appointment, details)
    appointment.sequence += 1
    appointment.updated_at = clock.now()
    if moved:
        schedule_reminder(appointment, client)
    record("appointment.changed", workspace_id=appointment.workspace_id, client_id=appointment.client_id)
    return appointment


def cancel_appointment(appointment: Appointment) -> None:
    if appointment.cancelled_at is not None:
        return
    now = clock.now()
    appointment.cancelled_at, appointment.updated_at = now, now
    appointment.sequence += 1
    _supersede_reminders(appointment, now)
    record("appointment.cancelled", workspace_id=appointment.workspace_id, client_id=appointment.client_id)


def _apply(appointment: Appointment, details: Details) -> None:
    appointment.starts_at = details.starts_at
    appointment.duration_minutes = details.duration_minutes
    appointment.practitioner_id = details.practitioner_id
    appointment.kind = details.kind
    appointment.join_url = details.join_url if details.kind == "telehealth" else None
    appointment.location = details.location if details.kind == "in_person" else None
    appointment.note = details.note or None


def schedule_reminder(appointment: Appointment, client: Client) -> AppointmentReminder | None:
    """One reminder e-mail 24 hours before the start (at once when booked later than that); earlier ones lapse."""
    now = clock.now()
    _supersede_reminders(appointment, now)
    if not client.email or appointment.starts_at <= now:
        return None
    reminder = db.session.scalar(select(AppointmentReminder).where(
        AppointmentReminder.appointment_id == appointment.id, AppointmentReminder.starts_at == appointment.starts_at))
    if reminder is None:  # moved back to a time it had before: that reminder row comes back to life
        reminder = AppointmentReminder(workspace_id=appointment.workspace_id, appointment_id=appointment.id,
                                       starts_at=appointment.starts_at, attempts=0)
        db.session.add(reminder)
    reminder.email, reminder.superseded_at = client.email, None
    if reminder.sent_at is None:
        reminder.owe_again()
    reminder.due_at = max(now, appointment.starts_at - REMINDER_LEAD)
    db.session.flush()
    enqueue_at(reminder.due_at, "jobs.appointments.send_appointment_reminder", reminder.id)
    return reminder


def _supersede_reminders(appointment: Appointment, now: datetime) -> None:
    db.session.execute(update(AppointmentReminder).where(
        AppointmentReminder.appointment_id == appointment.id, AppointmentReminder.superseded_at.is_(None),
        AppointmentReminder.sent_at.is_(None)).values(superseded_at=now))


def reminder_still_wanted(reminder: AppointmentReminder) -> bool:
    appointment = reminder.appointment
    return (reminder.superseded_at is None and appointment.cancelled_at is None
            and appointment.starts_at == reminder.starts_at and appointment.starts_at > clock.now())


# --- what the client sees -----------------------------------------------------------------------

APPOINTMENTS_PAGE = 20


def upcoming_page(client_id: int, cursor: str | None = None, size: int = APPOINTMENTS_PAGE) -> KeysetPage:
    """The client's appointments not yet over, soonest first (cancelled ones included so the client sees they
    are off), `size` at a time; two queries and their practitioners in a third, however many there are."""
    now = clock.now()
    query = (select(Appointment).where(Appointment.client_id == client_id,
                                       Appointment.starts_at > now - LONGEST_APPOINTMENT)
             .options(selectinload(Appointment.practitioner)))
    page = keyset_page_of(query, [Appointment.starts_at, Appointment.id], cursor, size, scope="appointments-upcoming")
    return replace(page, items=[a for a in page.items if a.ends_at > now])


def past_page(client_id: int, cursor: str | None = None, size: int = APPOINTMENTS_PAGE) -> KeysetPage:
    """The client's appointments that are over, latest first, `size` at a time."""
    now = clock.now()
    query = (select(Appointment).where(Appointment.client_id == client_id, Appointment.starts_at <= now)
             .options(selectinload(Appointment.practitioner)))
    page = keyset_page_of(query, [Appointment.starts_at, Appointment.id], cursor, size, scope="appointments-past",
                          descending=True)
    return replace(page, items=[a for a in page.items if a.ends_at <= now])


def join_link_open(appointment: Appointment) -> bool:
    """A telehealth join link is shown from 15 minutes before the start until the end."""
    now = clock.now()
    return (appointment.kind == "telehealth" and bool(appointment.join_url) and appointment.cancelled_at is None
            and appointment.starts_at - JOIN_OPENS_BEFORE <= now < appointment.ends_at)


def calendar_file(appointment: Appointment, practice: str, host: str, white_label: bool = False,
                  method: str = "PUBLISH", as_of: "Snapshot | None" = None) -> bytes:
    """An iCalendar file for one appointment; its UID and SEQUENCE let calendars update it when it changes.

    An e-mailed update says METHOD:REQUEST (METHOD:CANCEL when cancelled) and carries the appointment `as_of`
    the change it tells of, so a late e-mail never shows a later state under an earlier SEQUENCE."""
    return calendar_of([appointment], practice, host, white_label, method=method, as_of=as_of)


@dataclass(frozen=True)
class Snapshot:
    starts_at: datetime
    sequence: int
    status: str  # the event's STATUS: CONFIRMED, TENTATIVE (a request the practice hasn't answered) or CANCELLED


def event_status(appointment: Appointment) -> str:
    if appointment.cancelled_at is not None:
        return "CANCELLED"
    return "TENTATIVE" if appointment.status == "requested" else "CONFIRMED"


def calendar_of(appointments, practice: str, host: str, white_label: bool = False, method: str = "PUBLISH",
                as_of: Snapshot | None = None) -> bytes:
    """One iCalendar file holding each of these appointments as its own event."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{practice if white_label else 'Porch'}//Client portal//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    for appointment in appointments:
        calendar.add_component(_calendar_event(appointment, practice, host, as_of))
    return calendar.to_ical()


def _calendar_event(appointment: Appointment, practice: str, host: str, as_of: Snapshot | None = None) -> Event:
    as_of = as_of or Snapshot(appointment.starts_at, appointment.sequence, event_status(appointment))
    event = Event()
    event.add("uid", f"appointment-{appointment.id}@{host}")
    event.add("dtstamp", clock.now())
    event.add("dtstart", as_of.starts_at)
    event.add("dtend", as_of.starts_at + timedelta(minutes=appointment.duration_minutes))
    event.add("summary", f"Appointment with {appointment.practitioner.name} ({practice})")
    event.add("sequence", as_of.sequence)
    if appointment.kind == "telehealth" and appointment.join_url:
        event.add("location", appointment.join_url)
        event.add("url", appointment.join_url)
        event.add("description", f"Telehealth. Join: {appointment.join_url}")
    elif appointment.location:
        event.add("location", appointment.location)
        event.add("description", "In person.")
    event.add("status", as_of.status)
    return event
