"""Free appointment slots: a practitioner's availability − bookings − buffers − notice − horizon.

`free_slots` is a plain function (no database, no clock) so every rule can be tested from a table; `open_slots`
gathers its inputs for one practitioner or for everyone offering a service, in a fixed number of queries.
"""
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import clock
from app.appointments.models import LONGEST_APPOINTMENT, Appointment
from app.appointments.setup import AvailabilityException, Service, WeeklyHours, booking_rules_for
from app.db import db

Interval = tuple[datetime, datetime]
LONGEST_BUFFER = timedelta(hours=4)  # the most a service's buffer may be (the services form refuses more)


@dataclass(frozen=True)
class Hours:
    """A stretch of the usual week (weekday 0 = Monday), wall-clock times in the practitioner's zone."""

    weekday: int
    starts: time
    ends: time


@dataclass(frozen=True)
class Exception_:
    """A change to one date: kind "off" (the whole day when starts/ends are None) or "extra" hours."""

    day: date
    kind: str
    starts: time | None = None
    ends: time | None = None


def _utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    # A wall-clock time skipped by a spring-forward change is read with the offset before the change (fold=0), as
    # RFC 5545 reads one: 01:30 on the night London goes from GMT to BST is 01:30 GMT, i.e. 02:30 BST.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[list[datetime]] = []
    for lo, hi in sorted(intervals):
        if hi <= lo:
            continue
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def _minus(windows: list[Interval], holes: list[Interval]) -> list[Interval]:
    """`windows` without `holes` (both sorted and disjoint)."""
    out: list[Interval] = []
    for lo, hi in windows:
        for hole_lo, hole_hi in holes:
            if hole_hi <= lo or hole_lo >= hi:
                continue
            if hole_lo > lo:
                out.append((lo, hole_lo))
            lo = max(lo, hole_hi)
            if lo >= hi:
                break
        if lo < hi:
            out.append((lo, hi))
    return out


def availability(*, weekly_hours: Iterable, exceptions: Iterable, zone: str | ZoneInfo,
                 first_day: date, last_day: date) -> list[Interval]:
    """The practitioner's working time from first_day to last_day (their dates), as sorted disjoint UTC intervals.

    A whole day off removes that day's weekly hours; time off with hours removes those hours from anything;
    extra hours add to the day. Items only need the attributes of `Hours` / `Exception_` (model rows do).
    """
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    by_weekday: dict[int, list] = defaultdict(list)
    for h in weekly_hours:
        by_weekday[h.weekday].append(h)
    whole_days_off, holes, extras = set(), [], []
    for e in exceptions:
        if not first_day <= e.day <= last_day:
            continue
        if e.kind == "off" and (e.starts is None or e.ends is None):
            whole_days_off.add(e.day)
        elif e.kind == "off":
            holes.append((_utc(e.day, e.starts, zone), _utc(e.day, e.ends, zone)))
        elif e.starts is not None and e.ends is not None:
            extras.append((_utc(e.day, e.starts, zone), _utc(e.day, e.ends, zone)))
    windows = list(extras)
    day = first_day
    while day <= last_day:
        if day not in whole_days_off:
            windows.extend((_utc(day, h.starts, zone), _utc(day, h.ends, zone)) for h in by_weekday[day.weekday()])
        day += timedelta(days=1)
    return _minus(_merged(windows), _merged(holes))


def free_slots(*, weekly_hours: Iterable, exceptions: Iterable, zone: str | ZoneInfo, busy: Iterable[Interval],
               length: timedelta, buffer_before: timedelta = timedelta(0), buffer_after: timedelta = timedelta(0),
               step: timedelta, earliest: datetime, latest: datetime) -> list[datetime]:
    """UTC start times, earliest <= start < latest, of every `length` that fits in the working hours, stepping by
    `step` from the start of each stretch, whose time widened by the buffers meets nothing in `busy`.

    `busy` holds what is already booked as UTC [start, end) intervals, each already widened by its own buffers.
    Buffers may fall outside working hours (before the first appointment of a day); the appointment may not.
    """
    if length <= timedelta(0) or step <= timedelta(0) or latest <= earliest:
        return []
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    windows = availability(weekly_hours=weekly_hours, exceptions=exceptions, zone=zone,
                           first_day=earliest.astimezone(zone).date() - timedelta(days=1),
                           last_day=latest.astimezone(zone).date() + timedelta(days=1))
    taken = _merged(busy)
    taken_starts = [lo for lo, _ in taken]
    slots: list[datetime] = []
    for lo, hi in windows:
        start = lo
        if start < earliest:
            start += -((lo - earliest) // step) * step  # the first step at or after `earliest`
        while start + length <= hi and start < latest:
            blocked_lo, blocked_hi = start - buffer_before, start + length + buffer_after
            i = bisect_left(taken_starts, blocked_hi) - 1  # the last booking starting before blocked_hi
            clash = i >= 0 and taken[i][1] > blocked_lo and taken[i][0] < blocked_hi
            if not clash:
                slots.append(start)
                start += step
            else:
                # jump past the booking, staying on this stretch's steps
                past = taken[i][1] + buffer_before
                start += max(step, -((start - past) // step) * step)
    return slots


def open_slots(service: Service, practitioner_or_none, start: datetime, end: datetime,
               *, now: datetime | None = None) -> dict[int, list[datetime]]:
    """Free slots for `service` from `start` to `end` (UTC) within the workspace's booking rules, by practitioner id:
    the one given (if they offer the service) or everyone active who offers it. Four queries, however many."""
    rules = booking_rules_for(service.workspace_id)
    now = now or clock.now()
    offering = [p for p in service.practitioners if p.disabled_at is None]
    if practitioner_or_none is not None:
        offering = [p for p in offering if p.id == practitioner_or_none.id]
    if not offering:
        return {}
    ids = [p.id for p in offering]
    earliest = max(start, now + timedelta(minutes=rules.min_notice_minutes))
    latest = min(end, now + timedelta(days=rules.horizon_days))
    if latest <= earliest:
        return {p: [] for p in ids}
    hours, exceptions, busy = defaultdict(list), defaultdict(list), defaultdict(list)
    for h in db.session.scalars(select(WeeklyHours).where(WeeklyHours.practitioner_id.in_(ids))):
        hours[h.practitioner_id].append(h)
    for e in db.session.scalars(select(AvailabilityException).where(
            AvailabilityException.practitioner_id.in_(ids),
            AvailabilityException.day >= (earliest - timedelta(days=2)).date(),
            AvailabilityException.day <= (latest + timedelta(days=2)).date())):
        exceptions[e.practitioner_id].append(e)
    reach = LONGEST_APPOINTMENT + LONGEST_BUFFER  # an earlier booking with its buffers may run into the range
    minute = timedelta(minutes=1)
    for practitioner_id, starts_at, minutes, before, after in db.session.execute(
            select(Appointment.practitioner_id, Appointment.starts_at, Appointment.duration_minutes,
                   Service.buffer_before_minutes, Service.buffer_after_minutes)
            .outerjoin(Service, Service.id == Appointment.service_id)
            .where(Appointment.workspace_id == service.workspace_id, Appointment.practitioner_id.in_(ids),
                   Appointment.cancelled_at.is_(None), Appointment.status != "declined",
                   Appointment.starts_at >= earliest - reach, Appointment.starts_at < latest + reach)):
        busy[practitioner_id].append((starts_at - (before or 0) * minute,
                                      starts_at + (minutes + (after or 0)) * minute))
    common = dict(length=timedelta(minutes=service.duration_minutes),
                  buffer_before=timedelta(minutes=service.buffer_before_minutes),
                  buffer_after=timedelta(minutes=service.buffer_after_minutes),
                  step=timedelta(minutes=rules.slot_step_minutes), earliest=earliest, latest=latest)
    return {p.id: free_slots(weekly_hours=hours[p.id], exceptions=exceptions[p.id], zone=p.time_zone,
                             busy=busy[p.id], **common) for p in offering}
