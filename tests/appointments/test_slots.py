"""Free slots: availability − bookings − buffers − notice − horizon, across daylight-saving changes and zones."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.appointments.models import Appointment
from app.appointments.setup import AvailabilityException, BookingRules, Service, WeeklyHours, booking_rules_for
from app.appointments.slots import Exception_, Hours, free_slots, open_slots
from app.auth.models import User
from app.db import db
from app.demo import load_demo_practice
from tests.conftest import counting_queries, make_client, make_staff

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 1)
MORNINGS = [Hours(0, time(9), time(12))]  # Mondays 09:00–12:00


def at(day: date, clock: str, zone: ZoneInfo = LONDON) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=zone).astimezone(UTC)


def local(slots, zone: ZoneInfo = LONDON) -> list[str]:
    return [s.astimezone(zone).strftime("%a %d %H:%M") for s in slots]


def slots(*, hours=MORNINGS, exceptions=(), zone=LONDON, busy=(), length=60, before=0, after=0, step=30,
          earliest=None, latest=None, first=MONDAY, last=MONDAY) -> list[datetime]:
    return free_slots(weekly_hours=hours, exceptions=exceptions, zone=zone, busy=busy,
                      length=timedelta(minutes=length), buffer_before=timedelta(minutes=before),
                      buffer_after=timedelta(minutes=after), step=timedelta(minutes=step),
                      earliest=earliest or at(first, "00:00", zone), latest=latest or at(last, "23:59", zone))


TEN_TO_ELEVEN = [(at(MONDAY, "10:00"), at(MONDAY, "11:00"))]

CASES = {
    "the usual hours, every step that fits": (
        {}, ["Mon 01 09:00", "Mon 01 09:30", "Mon 01 10:00", "Mon 01 10:30", "Mon 01 11:00"]),
    "a booking takes its hour": ({"busy": TEN_TO_ELEVEN}, ["Mon 01 09:00", "Mon 01 11:00"]),
    "a booking ending half-way through a step": (
        {"busy": [(at(MONDAY, "09:00"), at(MONDAY, "09:50"))]}, ["Mon 01 10:00", "Mon 01 10:30", "Mon 01 11:00"]),
    "the buffer after a slot may not reach a booking": ({"busy": TEN_TO_ELEVEN, "after": 15}, ["Mon 01 11:00"]),
    "the buffer before a slot may not reach a booking": ({"busy": TEN_TO_ELEVEN, "before": 15}, ["Mon 01 09:00"]),
    "buffers may fall outside the hours": ({"before": 30, "after": 30}, [
        "Mon 01 09:00", "Mon 01 09:30", "Mon 01 10:00", "Mon 01 10:30", "Mon 01 11:00"]),
    "a booking already widened by its own buffers": (
        {"busy": [(at(MONDAY, "09:45"), at(MONDAY, "11:15"))]}, []),
    "minimum notice: nothing before the earliest start, on the steps": (
        {"earliest": at(MONDAY, "09:40")}, ["Mon 01 10:00", "Mon 01 10:30", "Mon 01 11:00"]),
    "horizon: nothing starting at or after the latest": (
        {"latest": at(MONDAY, "10:30")}, ["Mon 01 09:00", "Mon 01 09:30", "Mon 01 10:00"]),
    "a whole day off": ({"exceptions": [Exception_(MONDAY, "off")]}, []),
    "a morning off": (
        {"exceptions": [Exception_(MONDAY, "off", time(9), time(10))]}, ["Mon 01 10:00", "Mon 01 10:30",
                                                                          "Mon 01 11:00"]),
    "extra hours on a date": (
        {"exceptions": [Exception_(MONDAY, "extra", time(14), time(15))]}, [
            "Mon 01 09:00", "Mon 01 09:30", "Mon 01 10:00", "Mon 01 10:30", "Mon 01 11:00", "Mon 01 14:00"]),
    "extra hours on a day off still count": (
        {"exceptions": [Exception_(MONDAY, "off"), Exception_(MONDAY, "extra", time(14), time(15))]},
        ["Mon 01 14:00"]),
    "extra hours on another date change nothing": (
        {"exceptions": [Exception_(MONDAY + timedelta(days=1), "extra", time(14), time(15))]}, [
            "Mon 01 09:00", "Mon 01 09:30", "Mon 01 10:00", "Mon 01 10:30", "Mon 01 11:00"]),
    "hours that touch make one stretch": (
        {"hours": [Hours(0, time(9), time(10)), Hours(0, time(10), time(11))], "step": 60},
        ["Mon 01 09:00", "Mon 01 10:00"]),
    "hours given twice give each slot once": (
        {"hours": MORNINGS * 2, "step": 60}, ["Mon 01 09:00", "Mon 01 10:00", "Mon 01 11:00"]),
    "a service longer than the hours": ({"length": 240}, []),
    "no hours on other weekdays": ({"first": MONDAY + timedelta(days=1), "last": MONDAY + timedelta(days=6)}, []),
    "a zero length gives nothing": ({"length": 0}, []),
}


@pytest.mark.parametrize("given, expected", list(CASES.values()), ids=list(CASES))
def test_free_slots(given, expected):
    assert local(slots(**given)) == expected


# Europe/London: clocks go forward 29 March 2026 (01:00 GMT → 02:00 BST) and back 25 October (02:00 BST → 01:00 GMT).
# America/New_York: forward 8 March 2026 (02:00 EST → 03:00 EDT), back 1 November (02:00 EDT → 01:00 EST).
DST_CASES = {
    "London: 9:00 stays 9:00 on the clock across the spring change, an hour earlier in UTC": (
        LONDON, [Hours(4, time(9), time(10)), Hours(0, time(9), time(10))], date(2026, 3, 27), date(2026, 3, 30),
        ["2026-03-27 09:00", "2026-03-30 08:00"]),
    "London: the night the clocks go forward has one hour fewer": (
        LONDON, [Hours(6, time(0), time(4))], date(2026, 3, 29), date(2026, 3, 29),
        ["2026-03-29 00:00", "2026-03-29 01:00", "2026-03-29 02:00"]),
    "London: a start inside the skipped hour is read with the offset before it, as iCalendar does": (
        LONDON, [Hours(6, time(1, 30), time(4))], date(2026, 3, 29), date(2026, 3, 29),
        ["2026-03-29 01:30"]),  # 01:30 GMT is 02:30 BST; until 04:00 BST leaves room for one hour
    "London: the night the clocks go back has one hour more": (
        LONDON, [Hours(6, time(0), time(3))], date(2026, 10, 25), date(2026, 10, 25),
        ["2026-10-24 23:00", "2026-10-25 00:00", "2026-10-25 01:00", "2026-10-25 02:00"]),
    "New York: 9:00 EST then 9:00 EDT around the spring change": (
        NEW_YORK, [Hours(4, time(9), time(10)), Hours(0, time(9), time(10))], date(2026, 3, 6), date(2026, 3, 9),
        ["2026-03-06 14:00", "2026-03-09 13:00"]),
    "New York: 9:00 EDT then 9:00 EST around the autumn change": (
        NEW_YORK, [Hours(4, time(9), time(10)), Hours(0, time(9), time(10))], date(2026, 10, 30), date(2026, 11, 2),
        ["2026-10-30 13:00", "2026-11-02 14:00"]),
    "New York: the night the clocks go forward, 01:00–04:00 is two hours": (
        NEW_YORK, [Hours(6, time(1), time(4))], date(2026, 3, 8), date(2026, 3, 8),
        ["2026-03-08 06:00", "2026-03-08 07:00"]),
}


@pytest.mark.parametrize("zone, hours, first, last, expected_utc", list(DST_CASES.values()), ids=list(DST_CASES))
def test_free_slots_across_daylight_saving_changes(zone, hours, first, last, expected_utc):
    found = slots(hours=hours, zone=zone, first=first, last=last, step=60)
    assert [s.strftime("%Y-%m-%d %H:%M") for s in found] == expected_utc
    assert all(s.tzinfo is UTC for s in found)


@pytest.mark.parametrize("monday, london_clock", [
    (date(2026, 3, 2), "14:00"),   # both on standard time: five hours apart
    (date(2026, 3, 9), "13:00"),   # New York has moved its clocks, London not yet: four hours apart
    (date(2026, 3, 30), "14:00"),  # both on summer time: five hours apart again
    (date(2026, 10, 26), "13:00"),  # London back on GMT, New York still on EDT: four hours apart
])
def test_a_new_york_practitioners_nine_oclock_as_a_london_client_sees_it(monday, london_clock):
    found = slots(hours=[Hours(0, time(9), time(10))], zone=NEW_YORK, first=monday, last=monday, step=60)
    assert local(found, NEW_YORK) == [monday.strftime("Mon %d 09:00")]
    assert local(found, LONDON) == [monday.strftime(f"Mon %d {london_clock}")]


def test_a_month_of_slots_is_every_step_of_every_working_day():
    month = slots(hours=[Hours(d, time(9), time(17)) for d in range(5)], length=50, step=15,
                  first=date(2026, 6, 1), last=date(2026, 6, 30))
    assert len(month) == 22 * 29  # 22 weekdays in June 2026; 09:00 … 16:00 by 15 minutes, ending by 17:00
    assert month == sorted(set(month))


def test_a_booking_touching_a_slot_exactly_leaves_it_free():
    found = slots(busy=[(at(MONDAY, "08:00"), at(MONDAY, "09:00")), (at(MONDAY, "10:00"), at(MONDAY, "10:30")),
                        (at(MONDAY, "12:00"), at(MONDAY, "13:00"))], step=30)
    assert local(found) == ["Mon 01 09:00", "Mon 01 10:30", "Mon 01 11:00"]


def test_buffers_touching_a_booking_exactly_leave_the_slot_free():
    busy = [(at(MONDAY, "09:00"), at(MONDAY, "09:15")), (at(MONDAY, "10:45"), at(MONDAY, "11:00"))]
    found = slots(busy=busy, length=60, before=15, after=15, step=30)
    assert local(found) == ["Mon 01 09:30"]  # 09:15–10:45 with its buffers; one minute more meets a booking
    assert local(slots(busy=busy, length=60, before=16, after=15, step=30)) == []


def test_a_booking_spanning_days_takes_every_day_it_covers():
    hours = [Hours(d, time(9), time(12)) for d in range(5)]
    found = slots(hours=hours, busy=[(at(MONDAY, "11:00"), at(MONDAY + timedelta(days=2), "10:00"))],
                  first=MONDAY, last=MONDAY + timedelta(days=3))
    assert local(found) == ["Mon 01 09:00", "Mon 01 09:30", "Mon 01 10:00",
                            "Wed 03 10:00", "Wed 03 10:30", "Wed 03 11:00",
                            "Thu 04 09:00", "Thu 04 09:30", "Thu 04 10:00", "Thu 04 10:30", "Thu 04 11:00"]


def test_overlapping_and_unsorted_bookings_are_taken_together():
    busy = [(at(MONDAY, "10:30"), at(MONDAY, "11:00")), (at(MONDAY, "09:30"), at(MONDAY, "10:15")),
            (at(MONDAY, "10:00"), at(MONDAY, "10:45")), (at(MONDAY, "10:00"), at(MONDAY, "10:00"))]
    assert local(slots(busy=busy, step=15)) == ["Mon 01 11:00"]


def reference_slots(*, windows, busy, length, before, after, step, earliest, latest) -> list[datetime]:
    """Every step of every window tried against every booking: slow and plain, to compare with. A booking of no
    length holds no time."""
    busy = [(b_lo, b_hi) for b_lo, b_hi in busy if b_lo < b_hi]
    found = []
    for lo, hi in windows:
        start = lo
        while start + length <= hi:
            if earliest <= start < latest and not any(b_lo < start + length + after and b_hi > start - before
                                                       for b_lo, b_hi in busy):
                found.append(start)
            start += step
    return found


@pytest.mark.parametrize("seed", range(40))
def test_it_finds_the_same_slots_as_trying_every_step_against_every_booking(seed):
    import random

    from app.appointments.slots import availability

    rng = random.Random(seed)
    zone = rng.choice([LONDON, NEW_YORK, ZoneInfo("Asia/Kolkata")])
    first, last = date(2026, 3, 2) + timedelta(days=rng.randrange(0, 250)), None
    last = first + timedelta(days=rng.randrange(0, 21))
    hours = [Hours(d, time(rng.randrange(0, 12), rng.choice((0, 10, 30))), time(rng.randrange(12, 24),
                                                                                  rng.choice((0, 20, 45))))
             for d in range(7) for _ in range(rng.randrange(0, 3))]
    exceptions = [Exception_(first + timedelta(days=rng.randrange(0, 21)), rng.choice(("off", "extra")),
                             time(rng.randrange(0, 12)), time(rng.randrange(12, 24))) for _ in range(rng.randrange(4))]
    earliest = at(first, f"{rng.randrange(0, 24):02}:{rng.randrange(0, 60):02}", zone)
    latest = at(last, f"{rng.randrange(0, 24):02}:{rng.randrange(0, 60):02}", zone) + timedelta(days=1)
    busy = []
    for _ in range(rng.randrange(0, 400)):  # many, overlapping, some long, some of no length
        starts = earliest - timedelta(hours=12) + timedelta(minutes=5 * rng.randrange(0, 12 * 24 * (last - first).days
                                                                                        + 12 * 48))
        busy.append((starts, starts + timedelta(minutes=rng.choice((0, 5, 15, 30, 50, 60, 90, 600, 2000)))))
    rule = dict(length=timedelta(minutes=rng.choice((10, 30, 45, 50, 60, 90))),
                before=timedelta(minutes=rng.choice((0, 0, 5, 10, 15))),
                after=timedelta(minutes=rng.choice((0, 0, 5, 10, 15))),
                step=timedelta(minutes=rng.choice((5, 10, 15, 20, 30, 60))), earliest=earliest, latest=latest)
    windows = availability(weekly_hours=hours, exceptions=exceptions, zone=zone,
                           first_day=earliest.astimezone(zone).date() - timedelta(days=1),
                           last_day=latest.astimezone(zone).date() + timedelta(days=1))
    found = free_slots(weekly_hours=hours, exceptions=exceptions, zone=zone, busy=busy, length=rule["length"],
                       buffer_before=rule["before"], buffer_after=rule["after"], step=rule["step"],
                       earliest=earliest, latest=latest)
    assert found == reference_slots(windows=windows, busy=busy, **rule)


# --- the loader -----------------------------------------------------------------------------------

NOW = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)  # a Monday, 06:00 in London, 01:00 in New York


@pytest.fixture
def booking_setup(practice):
    """Carlos (London) and Priya (New York) both offer a 50-minute session with a 10-minute buffer after."""
    practice.carlos.chosen_time_zone = "Europe/London"
    session = Service(workspace_id=practice.workspace.id, name="Session", duration_minutes=50, kind="telehealth",
                      buffer_after_minutes=10, created_at=NOW, practitioners=[practice.carlos, practice.priya])
    db.session.add_all([session, BookingRules(workspace_id=practice.workspace.id, mode="instant",
                                              min_notice_minutes=0, horizon_days=7, slot_step_minutes=30)])
    for who in (practice.carlos, practice.priya):
        db.session.add(WeeklyHours(workspace_id=practice.workspace.id, practitioner_id=who.id, weekday=0,
                                   starts=time(9), ends=time(11)))
    db.session.commit()
    return session


def book_at(practice, who, starts_at, **fields):
    db.session.add(Appointment(workspace_id=practice.workspace.id, client_id=practice.aisha.id,
                               practitioner_id=who.id, starts_at=starts_at, duration_minutes=50, kind="telehealth",
                               created_at=NOW, **fields))
    db.session.commit()


def test_open_slots_for_one_practitioner_leave_out_bookings_with_their_buffers(practice, booking_setup):
    book_at(practice, practice.carlos, at(MONDAY, "09:30"), service_id=booking_setup.id)  # holds 09:30–10:30
    found = open_slots(booking_setup, practice.carlos, NOW, NOW + timedelta(days=1), now=NOW)
    assert list(found) == [practice.carlos.id]
    assert local(found[practice.carlos.id]) == []  # 09:00 would run into it; 10:30 + 50 min is past 11:00


def test_open_slots_for_anyone_are_by_practitioner_in_their_own_zones(practice, booking_setup):
    found = open_slots(booking_setup, None, NOW, NOW + timedelta(days=1), now=NOW)
    assert local(found[practice.carlos.id]) == ["Mon 01 09:00", "Mon 01 09:30", "Mon 01 10:00"]
    assert local(found[practice.priya.id], NEW_YORK) == ["Mon 01 09:00", "Mon 01 09:30", "Mon 01 10:00"]


def test_cancelled_declined_and_other_practitioners_bookings_leave_the_time_free(practice, booking_setup):
    book_at(practice, practice.carlos, at(MONDAY, "09:00"), cancelled_at=NOW)
    book_at(practice, practice.carlos, at(MONDAY, "09:30"), status="declined")
    book_at(practice, practice.priya, at(MONDAY, "10:00"))
    book_at(practice, practice.carlos, at(MONDAY, "10:00"), status="requested")  # a request holds its time
    found = open_slots(booking_setup, practice.carlos, NOW, NOW + timedelta(days=1), now=NOW)
    assert local(found[practice.carlos.id]) == ["Mon 01 09:00"]


def test_open_slots_follow_the_rules_notice_and_horizon(practice, booking_setup):
    rules = db.session.get(BookingRules, practice.workspace.id)
    rules.min_notice_minutes = 3 * 60  # from 09:00 London (08:00 UTC)
    rules.horizon_days = 8
    db.session.commit()
    found = open_slots(booking_setup, practice.carlos, NOW, NOW + timedelta(days=30), now=NOW)
    assert local(found[practice.carlos.id]) == ["Mon 01 09:00", "Mon 01 09:30", "Mon 01 10:00",
                                                "Mon 08 09:00", "Mon 08 09:30", "Mon 08 10:00"]
    rules.min_notice_minutes = 3 * 60 + 1
    rules.horizon_days = 7  # to 06:00 on the 8th
    db.session.commit()
    found = open_slots(booking_setup, practice.carlos, NOW, NOW + timedelta(days=30), now=NOW)
    assert local(found[practice.carlos.id]) == ["Mon 01 09:30", "Mon 01 10:00"]


def test_open_slots_read_many_bookings_as_free_slots_would_take_them(practice, booking_setup):
    import random

    rng = random.Random(11)
    short = Service(workspace_id=practice.workspace.id, name="Check-in", duration_minutes=20, kind="telehealth",
                    buffer_before_minutes=15, created_at=NOW)
    db.session.add(short)
    db.session.add_all(WeeklyHours(workspace_id=practice.workspace.id, practitioner_id=practice.carlos.id, weekday=d,
                                   starts=time(8), ends=time(18)) for d in range(1, 5))
    db.session.flush()
    booked = []
    for _ in range(40):  # overlapping, some over midnight, some with another service's buffers, some without any
        starts_at = NOW + timedelta(minutes=5 * rng.randrange(-200, 12 * 24 * 7))
        minutes, kind = rng.choice([(50, booking_setup)] * 3 + [(20, short)] * 3 + [(30, None), (900, None)])
        db.session.add(Appointment(workspace_id=practice.workspace.id, client_id=practice.aisha.id,
                                   practitioner_id=practice.carlos.id, starts_at=starts_at, duration_minutes=minutes,
                                   kind="telehealth", created_at=NOW, service_id=kind and kind.id))
        before, after = (kind.buffer_before_minutes, kind.buffer_after_minutes) if kind else (0, 0)
        booked.append((starts_at - timedelta(minutes=before), starts_at + timedelta(minutes=minutes + after)))
    db.session.commit()
    found = open_slots(booking_setup, practice.carlos, NOW, NOW + timedelta(days=7), now=NOW)[practice.carlos.id]
    hours = db.session.scalars(select(WeeklyHours).where(WeeklyHours.practitioner_id == practice.carlos.id)).all()
    assert found == free_slots(weekly_hours=hours, exceptions=[], zone=LONDON, busy=booked,
                               length=timedelta(minutes=50), buffer_after=timedelta(minutes=10),
                               step=timedelta(minutes=30), earliest=NOW, latest=NOW + timedelta(days=7))
    assert 0 < len(found) < 7 * 20


def test_a_day_off_and_someone_not_offering_the_service(practice, booking_setup):
    db.session.add(AvailabilityException(workspace_id=practice.workspace.id, practitioner_id=practice.carlos.id,
                                         day=MONDAY, kind="off"))
    db.session.commit()
    assert open_slots(booking_setup, practice.carlos, NOW, NOW + timedelta(days=1), now=NOW) == {
        practice.carlos.id: []}
    stranger = make_staff(practice.workspace, "nadia@brunswick.example")
    assert open_slots(booking_setup, stranger, NOW, NOW + timedelta(days=1), now=NOW) == {}


def test_anyone_across_many_practitioners_takes_the_same_few_queries(practice, booking_setup):
    def queries_for(practitioners: int) -> int:
        for n in range(practitioners):
            who = make_staff(practice.workspace, f"p{practitioners}-{n}@brunswick.example")
            booking_setup.practitioners.append(who)
            db.session.add(WeeklyHours(workspace_id=practice.workspace.id, practitioner_id=who.id, weekday=0,
                                       starts=time(9), ends=time(11)))
            client = make_client(practice.workspace, "C", str(n), None)
            db.session.add(Appointment(workspace_id=practice.workspace.id, client_id=client.id,
                                       practitioner_id=who.id, starts_at=at(MONDAY, "09:00"), duration_minutes=50,
                                       kind="telehealth", created_at=NOW))
        db.session.commit()
        db.session.expire_all()
        service = db.session.get(Service, booking_setup.id)
        with counting_queries() as seen:
            found = open_slots(service, None, NOW, NOW + timedelta(days=1), now=NOW)
        assert len(found) == len(service.practitioners) >= 2 + practitioners
        return len(seen)

    assert queries_for(2) == queries_for(10)


def test_the_demo_practice_takes_instant_bookings_for_two_of_carloss_services(app):
    assert load_demo_practice()
    carlos = db.session.scalar(select(User).where(User.email == "carlos@brunswick.example"))
    assert booking_rules_for(carlos.workspace_id).mode == "instant"
    services = db.session.scalars(select(Service).where(Service.workspace_id == carlos.workspace_id,
                                                        Service.offered_online)).all()
    assert len(services) == 2
    for service in services:
        assert service.practitioners == [carlos]
        found = open_slots(service, carlos, NOW, NOW + timedelta(days=14), now=NOW)[carlos.id]
        assert found and all(s >= NOW + timedelta(hours=24) for s in found)
        assert {s.astimezone(NEW_YORK).weekday() for s in found} == {0, 1, 2, 3, 4}
