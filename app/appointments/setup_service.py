"""Changing a practice's booking set-up: the rules, its services, and each practitioner's hours and exceptions."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from app import clock
from app.appointments.models import Appointment
from app.appointments.setup import AvailabilityException, BookingRules, Service, WeeklyHours
from app.audit.trail import record
from app.auth.models import User
from app.clients.service import active_staff_of
from app.db import db
from app.tenancy import Workspace

LOOK_AHEAD = timedelta(days=14)  # the availability page counts the appointments booked this far ahead
EXCEPTIONS_SHOWN = 50


# --- booking rules ------------------------------------------------------------------------------

def save_booking_rules(workspace: Workspace, *, mode: str, min_notice_minutes: int, horizon_days: int,
                       slot_step_minutes: int, change_cutoff_minutes: int, new_clients_may_book: bool,
                       phone: str | None, online_service_ids: set[int]) -> BookingRules:
    rules = db.session.get(BookingRules, workspace.id)
    if rules is None:
        rules = BookingRules(workspace_id=workspace.id)
        db.session.add(rules)
    rules.mode, rules.min_notice_minutes, rules.horizon_days = mode, min_notice_minutes, horizon_days
    rules.slot_step_minutes, rules.change_cutoff_minutes = slot_step_minutes, change_cutoff_minutes
    rules.new_clients_may_book, rules.phone, rules.updated_at = new_clients_may_book, phone or None, clock.now()
    for service in services_of(workspace.id):
        service.offered_online = service.id in online_service_ids
    record("settings.online_booking_changed", workspace_id=workspace.id, detail=f"mode {mode}")
    return rules


# --- services -----------------------------------------------------------------------------------

def services_of(workspace_id: int, with_retired: bool = False) -> list[Service]:
    """The workspace's services by name, with who offers them (one query for those); retired ones last."""
    query = (select(Service).where(Service.workspace_id == workspace_id)
             .options(selectinload(Service.practitioners))
             .order_by(Service.retired_at.is_not(None), Service.name, Service.id))
    if not with_retired:
        query = query.where(Service.retired_at.is_(None))
    return list(db.session.scalars(query))


def practitioners_by_id(workspace_id: int, ids: list[int]) -> list[User]:
    wanted = set(ids)
    return [user for user in active_staff_of(workspace_id) if user.id in wanted]


def save_service(service: Service, *, name: str, duration_minutes: int, price_minor: int | None, currency: str,
                 kind: str, location: str | None, practitioners: list[User], buffer_before_minutes: int,
                 buffer_after_minutes: int) -> Service:
    """Add the service (when it has no id yet) or change it."""
    adding = service.id is None
    service.name, service.duration_minutes, service.kind = name, duration_minutes, kind
    service.price_minor, service.currency = price_minor, currency if price_minor is not None else None
    service.location = location if kind == "in_person" else None
    service.buffer_before_minutes, service.buffer_after_minutes = buffer_before_minutes, buffer_after_minutes
    service.practitioners = practitioners
    if adding:
        service.created_at = clock.now()
        db.session.add(service)
    db.session.flush()
    record("service.added" if adding else "service.changed", workspace_id=service.workspace_id,
           subject_type="service", subject_id=service.id)
    return service


def retire_service(service: Service) -> None:
    """A retired service is no longer offered; the appointments made for it keep it."""
    if service.retired_at is not None:
        return
    service.retired_at = clock.now()
    service.offered_online = False
    record("service.retired", workspace_id=service.workspace_id, subject_type="service", subject_id=service.id)


# --- a practitioner's hours ---------------------------------------------------------------------

def weekly_hours_of(practitioner: User) -> dict[int, list[WeeklyHours]]:
    rows = db.session.scalars(select(WeeklyHours).where(WeeklyHours.practitioner_id == practitioner.id)
                              .order_by(WeeklyHours.weekday, WeeklyHours.starts))
    week: dict[int, list[WeeklyHours]] = {weekday: [] for weekday in range(7)}
    for row in rows:
        week[row.weekday].append(row)
    return week


def set_weekly_hours(practitioner: User, stretches: list[tuple[int, time, time]]) -> None:
    """Replace the practitioner's usual week with these (weekday, start, end) stretches."""
    db.session.execute(delete(WeeklyHours).where(WeeklyHours.practitioner_id == practitioner.id))
    db.session.add_all(WeeklyHours(workspace_id=practitioner.workspace_id, practitioner_id=practitioner.id,
                                   weekday=weekday, starts=starts, ends=ends) for weekday, starts, ends in stretches)
    record("availability.hours_changed", workspace_id=practitioner.workspace_id, subject_user_id=practitioner.id)


def today_for(practitioner: User) -> date:
    return clock.now().astimezone(ZoneInfo(practitioner.time_zone)).date()


def exceptions_of(practitioner: User) -> list[AvailabilityException]:
    """The practitioner's exceptions from today on (their today), soonest first."""
    return list(db.session.scalars(
        select(AvailabilityException)
        .where(AvailabilityException.practitioner_id == practitioner.id,
               AvailabilityException.day >= today_for(practitioner))
        .order_by(AvailabilityException.day, AvailabilityException.starts, AvailabilityException.id)
        .limit(EXCEPTIONS_SHOWN)))


def add_exception(practitioner: User, *, day: date, kind: str, starts: time | None,
                  ends: time | None) -> AvailabilityException:
    exception = AvailabilityException(workspace_id=practitioner.workspace_id, practitioner_id=practitioner.id,
                                      day=day, kind=kind, starts=starts, ends=ends)
    db.session.add(exception)
    db.session.flush()
    record("availability.exception_added", workspace_id=practitioner.workspace_id, subject_user_id=practitioner.id)
    return exception


def remove_exception(exception: AvailabilityException) -> None:
    db.session.delete(exception)
    record("availability.exception_removed", workspace_id=exception.workspace_id,
           subject_user_id=exception.practitioner_id)


def booked_soon(practitioner: User) -> int:
    """How many appointments (and pending requests) the practitioner has in the next two weeks."""
    now = clock.now()
    return db.session.scalar(select(func.count(Appointment.id)).where(
        Appointment.practitioner_id == practitioner.id, Appointment.cancelled_at.is_(None),
        Appointment.status != "declined", Appointment.starts_at >= now,
        Appointment.starts_at < now + LOOK_AHEAD))

