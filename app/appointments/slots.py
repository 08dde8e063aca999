"""Free appointment slots: a practitioner's availability − bookings − buffers − notice − horizon.

`free_slots` is a plain function (no database, no clock) so every rule can be tested from a table; `open_slots`
gathers its inputs for one practitioner or for everyone offering a service, in a fixed number of queries.
"""
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, bindparam, cast, extract, func, select

from app import clock
from app.appointments.models import LONGEST_APPOINTMENT, Appointment
from app.appointments.setup import AvailabilityException, Service, WeeklyHours, booking_rules_for
from app.db import db

Interval = tuple[datetime, datetime]
LONGEST_BUFFER = timedelta(hours=4)  # the most a service's buffer may be (the services form refuses more)
EPOCH, MICROSECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)
SECOND_US = 1_000_000


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


@lru_cache(maxsize=8192)
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
    return _free(weekly_hours, exceptions, zone, [(_us(lo), _us(hi)) for lo, hi in busy], length=length,
                 before=buffer_before, after=buffer_after, step=step, earliest=earliest, latest=latest)


def _us(moment: datetime | timedelta) -> int:
    """A moment as whole microseconds since 1970 (UTC), or a length as microseconds: exact, and cheap to compare."""
    return (moment - EPOCH if isinstance(moment, datetime) else moment) // MICROSECOND


def _free(weekly_hours: Iterable, exceptions: Iterable, zone: str | ZoneInfo, busy: list[tuple[int, int]], *,
          length: timedelta, before: timedelta, after: timedelta, step: timedelta, earliest: datetime,
          latest: datetime) -> list[datetime]:
    """`free_slots` with `busy` in microseconds since 1970, as `open_slots` reads it from the database."""
    if length <= timedelta(0) or step <= timedelta(0) or latest <= earliest:
        return []
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    windows = availability(weekly_hours=weekly_hours, exceptions=exceptions, zone=zone,
                           first_day=earliest.astimezone(zone).date() - timedelta(days=1),
                           last_day=latest.astimezone(zone).date() + timedelta(days=1))
    return _starts(windows, _merged(busy), length=_us(length), before=_us(before), after=_us(after), step=step,
                   earliest=_us(earliest), latest=_us(latest))


def _starts(windows: list[Interval], taken: list[tuple[int, int]], *, length: int, before: int, after: int,
            step: timedelta, earliest: int, latest: int) -> list[datetime]:
    """The steps of each window (from its start) where `length` fits and, widened by the buffers, meets nothing
    `taken` (sorted, disjoint; like the other numbers in microseconds). A booking [lo, hi) rules out exactly the
    starts s with lo - length - after < s < hi + before, so each window's free steps come out as whole runs,
    never tested one step at a time."""
    taken_ends = [hi for _, hi in taken]
    every = _us(step)
    offsets = [k * step for k in range(max((_us(hi - lo) // every for lo, hi in windows), default=0) + 1)]
    slots: list[datetime] = []
    for window_lo, window_hi in windows:
        lo, hi = _us(window_lo), _us(window_hi)
        first = 0 if lo >= earliest else -((lo - earliest) // every)  # the first step at or after `earliest`
        last = min((hi - length - lo) // every, -((lo - latest) // every) - 1)  # fits in the window; before latest
        i = bisect_right(taken_ends, lo + first * every - before)  # the first booking that can still be in the way
        while first <= last and i < len(taken):
            booked_lo, booked_hi = taken[i]
            until = min(last, (booked_lo - length - after - lo) // every)  # the last step clear of its start
            if until >= first:
                slots.extend(map(window_lo.__add__, offsets[first:until + 1]))
            first = max(first, -((lo - booked_hi - before) // every))  # the first step clear of its end
            i += 1
        if first <= last:
            slots.extend(map(window_lo.__add__, offsets[first:last + 1]))
    return slots


# The three statements open_slots runs, built once: plain rows of only the columns the computation reads.
_IDS = bindparam("ids", expanding=True)
_HOURS = select(WeeklyHours.practitioner_id, WeeklyHours.weekday, WeeklyHours.starts, WeeklyHours.ends).where(
    WeeklyHours.practitioner_id.in_(_IDS))
_EXCEPTIONS = select(AvailabilityException.practitioner_id, AvailabilityException.day, AvailabilityException.kind,
                     AvailabilityException.starts, AvailabilityException.ends).where(
    AvailabilityException.practitioner_id.in_(_IDS), AvailabilityException.day >= bindparam("first_day"),
    AvailabilityException.day <= bindparam("last_day"))
# Bookings widened by their own service's buffers, as whole seconds since 1970 counted by the database
# (appointments start on whole minutes), so no datetime is made for any of them. Unordered: each practitioner's
# few are sorted in Python, which spares PostgreSQL a sort of them all after its index-only scan.
_STARTS = cast(extract("epoch", Appointment.starts_at), BigInteger)
_BUSY = (select(Appointment.practitioner_id, _STARTS - 60 * func.coalesce(Service.buffer_before_minutes, 0),
                _STARTS + 60 * (Appointment.duration_minutes + func.coalesce(Service.buffer_after_minutes, 0)))
         .outerjoin(Service, Service.id == Appointment.service_id)
         .where(Appointment.workspace_id == bindparam("workspace_id"), Appointment.practitioner_id.in_(_IDS),
                Appointment.cancelled_at.is_(None), Appointment.status != "declined",
                Appointment.starts_at >= bindparam("since"), Appointment.starts_at < bindparam("until")))


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
    # Through the session's connection: rows come back as plain tuples, never as model objects.
    connection = db.session.connection()
    for h in connection.execute(_HOURS, {"ids": ids}):
        hours[h.practitioner_id].append(h)
    for e in connection.execute(_EXCEPTIONS, {"ids": ids, "first_day": (earliest - timedelta(days=2)).date(),
                                              "last_day": (latest + timedelta(days=2)).date()}):
        exceptions[e.practitioner_id].append(e)
    reach = LONGEST_APPOINTMENT + LONGEST_BUFFER  # an earlier booking with its buffers may run into the range
    rows = connection.execute(_BUSY, {"workspace_id": service.workspace_id, "ids": ids, "since": earliest - reach,
                                      "until": latest + reach}).all()
    for practitioner_id, lo, hi in rows:
        busy[practitioner_id].append((lo * SECOND_US, hi * SECOND_US))
    common = dict(length=timedelta(minutes=service.duration_minutes),
                  before=timedelta(minutes=service.buffer_before_minutes),
                  after=timedelta(minutes=service.buffer_after_minutes),
                  step=timedelta(minutes=rules.slot_step_minutes), earliest=earliest, latest=latest)
    return {p.id: _free(hours[p.id], exceptions[p.id], p.time_zone, busy[p.id], **common) for p in offering}
