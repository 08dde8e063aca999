"""The staff calendar: a practitioner's or the whole practice's appointments for a day or a week, by local day."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.appointments.models import Appointment
from app.db import db

VIEWS = {"week": 7, "day": 1}


@dataclass(frozen=True)
class Span:
    view: str
    first: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(VIEWS[self.view])]

    @property
    def previous(self) -> date:
        return self.first - timedelta(days=VIEWS[self.view])

    @property
    def next(self) -> date:
        return self.first + timedelta(days=VIEWS[self.view])


def span_of(view: str, day: date) -> Span:
    """A week runs Monday to Sunday around `day`; a day view is that day."""
    return Span(view, day - timedelta(days=day.weekday()) if view == "week" else day)


def local_midnight(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(time_zone))


def appointments_by_day(workspace_id: int, span: Span, time_zone: str,
                        practitioner_id: int | None) -> dict[date, list[Appointment]]:
    """Each day of the span (in `time_zone`, so a daylight-saving change keeps whole local days) with the
    appointments that start on it, soonest first, pending requests among them; cancelled ones and declined requests
    left out. All practitioners when None."""
    starts = local_midnight(span.first, time_zone)
    ends = local_midnight(span.next, time_zone)
    query = (select(Appointment)
             .where(Appointment.workspace_id == workspace_id, Appointment.cancelled_at.is_(None),
                    Appointment.status != "declined",
                    Appointment.starts_at >= starts, Appointment.starts_at < ends)
             .order_by(Appointment.starts_at, Appointment.id))
    if practitioner_id is not None:
        query = query.where(Appointment.practitioner_id == practitioner_id)
    days: dict[date, list[Appointment]] = {day: [] for day in span.days}
    zone = ZoneInfo(time_zone)
    for appointment in db.session.scalars(query):
        days[appointment.starts_at.astimezone(zone).date()].append(appointment)
    return days
