"""Booking from the portal: a client books, reschedules and cancels within the practice's rules.

Every rule is checked here, on the server, whatever the page offered. Two clients confirming the same time at once
are put one after the other by the database: the booking takes a lock on the practitioners involved (their `users`
rows, `SELECT … FOR UPDATE` on PostgreSQL; the database's write lock on SQLite, taken by an UPDATE before anything is
read) and only then checks the time is still free and writes. The second one finds it taken: SlotTaken. On
PostgreSQL an exclusion constraint on online bookings (migration 0021) backs this up.
"""

from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.appointments.models import Appointment
from app.appointments.notices import tell_client
from app.appointments.service import Details, book_appointment, cancel_appointment, change_appointment
from app.appointments.setup import BookingRules, Service, booking_rules_for
from app.appointments.slots import open_slots
from app.appointments.staff_notices import tell_practice
from app.auth.models import User
from app.clients.models import Client
from app.db import db, prepared
from app.tenancy import repeat_of

NEXT_SLOTS_SHOWN = 6
LOOK_AHEAD_FOR_NEXT = timedelta(days=14)


class BookingRefused(Exception):
    """The rules don't allow this; `str()` says why, in words for the client."""


class SlotTaken(BookingRefused):
    """Someone else took that time first; `next_slots` are the next free ones (practitioner id, UTC start)."""

    def __init__(self, next_slots: list[tuple[int, datetime]]):
        super().__init__("That time was just taken.")
        self.next_slots = next_slots


# --- what the rules allow ------------------------------------------------------------------------

def is_existing_client(client: Client, now: datetime | None = None) -> bool:
    """A client who has had, or has, an appointment the practice booked or accepted."""
    return db.session.scalar(_booked_before(), {"client_id": client.id, "now": now or clock.now()}) or False


@prepared
def _booked_before():
    return select(exists().where(
        Appointment.client_id == bindparam("client_id"), Appointment.status == "booked",
        (Appointment.cancelled_at.is_(None)) | (Appointment.starts_at < bindparam("now"))))


def why_client_may_not_book(client: Client, rules: BookingRules | None = None) -> str | None:
    """None when this client may book online; otherwise what to tell them."""
    rules = rules or booking_rules_for(client.workspace_id)
    if rules.mode == "off":
        return "Online booking is off at this practice."
    if not rules.new_clients_may_book and not is_existing_client(client):
        return "Online booking is for the practice's existing clients."
    return None


def may_book_online(client: Client) -> bool:
    return why_client_may_not_book(client) is None


def services_online(workspace_id: int) -> list[Service]:
    """The services a client may book online: offered online, not retired, offered by someone active."""
    services = db.session.scalars(select(Service).where(
        Service.workspace_id == workspace_id, Service.offered_online.is_(True), Service.retired_at.is_(None))
        .order_by(Service.name))
    return [s for s in services if practitioners_of(s)]


def practitioners_of(service: Service) -> list[User]:
    return [p for p in service.practitioners if p.disabled_at is None]


def change_window_open(appointment: Appointment, now: datetime | None = None) -> bool:
    """Whether the client may still reschedule or cancel it themselves: online booking on, the appointment still
    on (not cancelled, not declined), and its start further away than the practice's cut-off."""
    now = now or clock.now()
    rules = booking_rules_for(appointment.workspace_id)
    return (rules.mode != "off" and appointment.cancelled_at is None and appointment.status != "declined"
            and appointment.starts_at - timedelta(minutes=rules.change_cutoff_minutes) > now)


def may_reschedule_online(appointment: Appointment, now: datetime | None = None) -> bool:
    """Inside the window, and for a service still booked online (its slots say which new times are free)."""
    service = appointment.service
    return (change_window_open(appointment, now) and service is not None and service.offered_online
            and service.retired_at is None)


# --- booking, rescheduling, cancelling ------------------------------------------------------------

def book_online(client: Client, service: Service, practitioner_id: int | None, starts_at: datetime,
                request_key: str | None) -> Appointment:
    """Book (instant mode) or request (request mode) `service` at `starts_at` with that practitioner, or with
    whoever offering it is free then. BookingRefused if a rule forbids it, SlotTaken if the time isn't free."""
    repeat = repeat_of(Appointment, client.workspace_id, request_key)
    if repeat is not None:
        return repeat
    rules = booking_rules_for(client.workspace_id)
    if (reason := why_client_may_not_book(client, rules)) is not None:
        raise BookingRefused(reason)
    offering = _offering(client, service, practitioner_id)
    _lock(offering)
    repeat = repeat_of(Appointment, client.workspace_id, request_key)  # a double submit that waited for the lock
    if repeat is not None:
        return repeat
    practitioner = _free_at(service, offering, starts_at, practitioner_id)
    details = Details(starts_at=starts_at, duration_minutes=service.duration_minutes, practitioner_id=practitioner,
                      kind=service.kind, join_url=None, location=service.location, note=None)
    appointment = book_appointment(client, _portal_account(client), details, request_key)
    appointment.service_id = service.id
    appointment.booked_online = True
    appointment.status = "requested" if rules.mode == "requests" else "booked"
    _flush_or_taken(service, offering, starts_at, practitioner_id)
    tell_client(appointment, appointment.status)
    tell_practice(appointment, appointment.status)
    return appointment


def reschedule_online(appointment: Appointment, starts_at: datetime) -> Appointment:
    """Move the client's appointment to another free start of the same service with the same practitioner. In
    request mode the new time waits for the practice again."""
    if not may_reschedule_online(appointment):
        raise BookingRefused(why_change_closed(appointment))
    service, client = appointment.service, appointment.client
    practitioner = db.session.get(User, appointment.practitioner_id)
    _lock([practitioner])
    # while the new time is checked, the appointment's own time counts as free: a move by half an hour is fine
    appointment.cancelled_at = clock.now()
    db.session.flush()
    try:
        _free_at(service, [practitioner], starts_at, practitioner.id)
    finally:
        appointment.cancelled_at = None
    details = Details(starts_at=starts_at, duration_minutes=appointment.duration_minutes,
                      practitioner_id=appointment.practitioner_id, kind=appointment.kind,
                      join_url=appointment.join_url, location=appointment.location, note=appointment.note)
    change_appointment(appointment, client, details)
    appointment.booked_online = True
    if booking_rules_for(appointment.workspace_id).mode == "requests":
        appointment.status = "requested"
    _flush_or_taken(service, [practitioner], starts_at, practitioner.id)
    change = "requested" if appointment.status == "requested" else "rescheduled"  # a moved request asks again
    tell_client(appointment, change)
    tell_practice(appointment, change)
    return appointment


def cancel_online(appointment: Appointment) -> None:
    if not change_window_open(appointment):
        raise BookingRefused(why_change_closed(appointment))
    cancel_appointment(appointment)
    db.session.flush()
    tell_client(appointment, "cancelled")
    tell_practice(appointment, "cancelled")


def next_free(service: Service, practitioner: User | None, after: datetime,
              limit: int = NEXT_SLOTS_SHOWN) -> list[tuple[int, datetime]]:
    """The next free starts for the service (with that practitioner, or anyone), soonest first."""
    by_practitioner = open_slots(service, practitioner, after, after + LOOK_AHEAD_FOR_NEXT)
    every = sorted((start, pid) for pid, starts in by_practitioner.items() for start in starts)
    seen, out = set(), []
    for start, pid in every:
        if start not in seen:
            seen.add(start)
            out.append((pid, start))
    return out[:limit]


def why_change_closed(appointment: Appointment) -> str:
    """Why the client can't reschedule or cancel it online, in words for them."""
    rules = booking_rules_for(appointment.workspace_id)
    if appointment.cancelled_at is not None:
        return "This appointment was cancelled."
    if appointment.status == "declined":
        return "The practice declined this request."
    if rules.mode == "off":
        return "Appointments are changed by the practice, not online."
    if appointment.starts_at - timedelta(minutes=rules.change_cutoff_minutes) <= clock.now():
        return f"It starts in less than {cutoff_words(rules.change_cutoff_minutes)}, too soon to change online."
    return "This appointment is changed by the practice, not online."


def cutoff_words(minutes: int) -> str:
    if minutes % (24 * 60) == 0 and minutes >= 48 * 60:
        return f"{minutes // (24 * 60)} days"
    if minutes % 60 == 0:
        return "1 hour" if minutes == 60 else f"{minutes // 60} hours"
    return f"{minutes} minutes"


def _offering(client: Client, service: Service, practitioner_id: int | None) -> list[User]:
    if service.workspace_id != client.workspace_id or not service.offered_online or service.retired_at is not None:
        raise BookingRefused("That service can't be booked online.")
    offering = practitioners_of(service)
    if practitioner_id is not None:
        offering = [p for p in offering if p.id == practitioner_id]
    if not offering:
        raise BookingRefused("That practitioner doesn't offer this service online.")
    return offering


def _lock(practitioners: list[User]) -> None:
    """Hold the practitioners' calendars until the transaction ends, in id order (no deadlock between two)."""
    ids = sorted(p.id for p in practitioners)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update(key_share=True))
    else:  # SQLite: a write first takes the database's write lock, so the check below can't interleave
        db.session.execute(update(User).where(User.id.in_(ids)).values(id=User.id)
                           .execution_options(synchronize_session=False))


def _free_at(service: Service, offering: list[User], starts_at: datetime, practitioner_id: int | None) -> int:
    """The practitioner (the one asked for, else the first free) for whom `starts_at` is an open slot."""
    chosen = next((p for p in offering if p.id == practitioner_id), None)
    by_practitioner = open_slots(service, chosen, starts_at, starts_at + timedelta(minutes=1))
    free = [p.id for p in offering if starts_at in by_practitioner.get(p.id, ())]
    if free:
        return free[0]
    rules = booking_rules_for(service.workspace_id)
    now = clock.now()
    if (starts_at < now + timedelta(minutes=rules.min_notice_minutes)
            or starts_at >= now + timedelta(days=rules.horizon_days)):
        raise BookingRefused("That time can't be booked online: it's too soon or too far ahead.")
    raise SlotTaken(next_free(service, chosen, starts_at))


def _flush_or_taken(service: Service, offering: list[User], starts_at: datetime, practitioner_id: int | None) -> None:
    """Write now: should the database's own check refuse an overlap, that is SlotTaken like any other."""
    try:
        db.session.flush()
    except IntegrityError as clash:
        db.session.rollback()
        chosen = next((p for p in offering if p.id == practitioner_id), None)
        raise SlotTaken(next_free(service, chosen, starts_at)) from clash


def _portal_account(client: Client) -> User:
    return db.session.scalar(select(User).where(User.client_id == client.id))
