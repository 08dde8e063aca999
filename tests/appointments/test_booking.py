"""Booking from the portal: every rule held on the server, one booking per time however the requests arrive, and
the client's e-mail with its calendar update."""

import threading
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.appointments.answering import approve_request, decline_request
from app.appointments.booking import (
    BookingRefused,
    SlotTaken,
    book_online,
    cancel_online,
    change_window_open,
    reschedule_online,
)
from app.appointments.models import Appointment, AppointmentNotice, AppointmentReminder
from app.appointments.setup import BookingRules, Service, WeeklyHours
from app.appointments.slots import open_slots
from app.appointments.staff_notices import PracticeNotice
from app.db import db
from app.formatting import local_day, local_time
from jobs.appointments import sweep_appointment_notices
from tests.conftest import (
    CSRF_IN_PAGE,
    PASSWORD,
    HttpVisitor,
    make_client,
    make_portal_account,
    make_staff,
    make_workspace,
    run_jobs,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # Monday 1 June 2026, 09:00 in London
TUESDAY, WEDNESDAY = date(2026, 6, 2), date(2026, 6, 3)


def at(day: date, clock_time: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock_time), tzinfo=LONDON).astimezone(UTC)


def appointments() -> int:
    return db.session.scalar(select(func.count()).select_from(Appointment))


@pytest.fixture
def online(practice):
    """Instant booking; Carlos (London) offers a 50-minute session weekdays 09:00–12:00, Priya the same; Aisha has
    been seen before and has a portal account."""
    clock.freeze(NOW)
    workspace = practice.workspace
    practice.carlos.chosen_time_zone = "Europe/London"
    practice.priya.chosen_time_zone = "Europe/London"
    rules = BookingRules(workspace_id=workspace.id, mode="instant", min_notice_minutes=24 * 60, horizon_days=14,
                         slot_step_minutes=30, change_cutoff_minutes=24 * 60, new_clients_may_book=False,
                         phone="+1 207 555 0100")
    session = Service(workspace_id=workspace.id, name="Session", duration_minutes=50, kind="telehealth",
                      buffer_after_minutes=10, created_at=NOW, practitioners=[practice.carlos, practice.priya])
    db.session.add_all([rules, session])
    for who in (practice.carlos, practice.priya):
        for weekday in range(5):
            db.session.add(WeeklyHours(workspace_id=workspace.id, practitioner_id=who.id, weekday=weekday,
                                       starts=time(9), ends=time(12)))
    db.session.add(Appointment(workspace_id=workspace.id, client_id=practice.aisha.id,
                               practitioner_id=practice.carlos.id, starts_at=NOW - timedelta(days=30),
                               duration_minutes=50, kind="telehealth", created_at=NOW - timedelta(days=40)))
    db.session.commit()
    practice.aisha_account = make_portal_account(practice.aisha)
    practice.rules, practice.session = rules, session
    return practice


def book(practice, starts_at, who="carlos", key=None, client=None):
    practitioner = getattr(practice, who).id if who else None
    appointment = book_online(client or practice.aisha, practice.session, practitioner, starts_at, key)
    db.session.commit()
    return appointment


def test_it_books_a_free_slot_at_once_in_instant_mode(online):
    appointment = book(online, at(TUESDAY, "10:00"))
    assert (appointment.status, appointment.booked_online, appointment.service_id) == (
        "booked", True, online.session.id)
    assert appointment.practitioner_id == online.carlos.id
    assert appointment.duration_minutes == 50 and appointment.kind == "telehealth"
    reminder = db.session.scalar(select(AppointmentReminder).where(
        AppointmentReminder.appointment_id == appointment.id))
    assert reminder.starts_at == appointment.starts_at


def test_it_asks_the_practice_in_request_mode(online):
    online.rules.mode = "requests"
    db.session.commit()
    assert book(online, at(TUESDAY, "10:00")).status == "requested"


def test_anyone_gets_whoever_is_free_then(online):
    first = book(online, at(TUESDAY, "10:00"), who=None)
    second = book(online, at(TUESDAY, "10:00"), who=None)
    assert {first.practitioner_id, second.practitioner_id} == {online.carlos.id, online.priya.id}
    with pytest.raises(SlotTaken):
        book(online, at(TUESDAY, "10:00"), who=None)


def test_the_same_request_key_makes_one_appointment(online):
    first = book(online, at(TUESDAY, "10:00"), key="k-1")
    again = book(online, at(TUESDAY, "10:00"), key="k-1")
    assert first.id == again.id
    assert appointments() == 2  # the earlier one and this


def _rules(**values):
    return values


REFUSALS = {
    "booking off": (_rules(mode="off"), TUESDAY, "10:00", BookingRefused, "Online booking is off"),
    "before the minimum notice": (_rules(), TUESDAY, "08:30", BookingRefused, "too soon"),
    "inside the notice on the day": (_rules(min_notice_minutes=48 * 60), TUESDAY, "11:00", BookingRefused, "too soon"),
    "beyond the horizon": (_rules(horizon_days=1), WEDNESDAY, "10:00", BookingRefused, "too far"),
    "off the slot step": (_rules(), TUESDAY, "10:10", SlotTaken, "just taken"),
    "outside the hours": (_rules(), TUESDAY, "13:00", SlotTaken, "just taken"),
    "a weekend": (_rules(), date(2026, 6, 6), "10:00", SlotTaken, "just taken"),
}


@pytest.mark.parametrize("rules, day, clock_time, refusal, words", list(REFUSALS.values()), ids=list(REFUSALS))
def test_it_refuses_what_the_rules_dont_allow_and_writes_nothing(online, rules, day, clock_time, refusal, words):
    for name, value in rules.items():
        setattr(online.rules, name, value)
    db.session.commit()
    with pytest.raises(refusal, match=words):
        book(online, at(day, clock_time))
    db.session.rollback()
    assert appointments() == 1


def test_it_lets_only_existing_clients_book_unless_new_ones_may(online):
    nora = make_client(online.workspace, "Nora", "Lindqvist", "nora@example.com")
    make_portal_account(nora)
    with pytest.raises(BookingRefused, match="existing clients"):
        book(online, at(TUESDAY, "10:00"), client=nora)
    db.session.rollback()
    online.rules.new_clients_may_book = True
    db.session.commit()
    assert book(online, at(TUESDAY, "10:00"), client=nora).client_id == nora.id


def test_it_refuses_a_service_not_offered_online_or_not_by_that_practitioner(online):
    online.session.practitioners = [online.carlos]
    db.session.commit()
    with pytest.raises(BookingRefused, match="doesn't offer"):
        book(online, at(TUESDAY, "10:00"), who="priya")
    online.session.offered_online = False
    db.session.commit()
    with pytest.raises(BookingRefused, match="can't be booked online"):
        book(online, at(TUESDAY, "10:00"))
    db.session.rollback()
    assert appointments() == 1


def test_a_taken_time_says_so_and_offers_the_next_free_ones(online):
    book(online, at(TUESDAY, "10:00"))
    with pytest.raises(SlotTaken) as taken:
        book(online, at(TUESDAY, "10:00"))
    db.session.rollback()
    assert [start for _, start in taken.value.next_slots[:2]] == [at(TUESDAY, "11:00"), at(WEDNESDAY, "09:00")]
    with pytest.raises(SlotTaken):  # the buffer after the first keeps 10:30 clear too
        book(online, at(TUESDAY, "10:30"))


def test_staff_book_anyway_overlaps_stay_possible(online):
    book(online, at(TUESDAY, "10:00"))
    db.session.add(Appointment(workspace_id=online.workspace.id, client_id=online.aisha.id,
                               practitioner_id=online.carlos.id, starts_at=at(TUESDAY, "10:00"),
                               duration_minutes=50, kind="telehealth", created_at=NOW))
    db.session.commit()
    assert appointments() == 3


def test_it_reschedules_inside_the_window_and_the_reminder_follows(online):
    appointment = book(online, at(TUESDAY, "10:00"))
    reschedule_online(appointment, at(TUESDAY, "10:30"))  # overlapping its own old time is fine
    db.session.commit()
    assert (appointment.starts_at, appointment.sequence) == (at(TUESDAY, "10:30"), 1)
    live = db.session.scalars(select(AppointmentReminder).where(
        AppointmentReminder.appointment_id == appointment.id, AppointmentReminder.superseded_at.is_(None))).all()
    assert [r.starts_at for r in live] == [at(TUESDAY, "10:30")]


def test_it_cancels_inside_the_window(online):
    appointment = book(online, at(WEDNESDAY, "10:00"))
    cancel_online(appointment)
    db.session.commit()
    assert appointment.cancelled_at == NOW and appointment.sequence == 1
    assert not change_window_open(appointment)


def test_inside_the_cut_off_changes_are_refused(online):
    appointment = book(online, at(WEDNESDAY, "10:00"))
    clock.freeze(at(WEDNESDAY, "10:00") - timedelta(hours=23))
    assert not change_window_open(appointment)
    with pytest.raises(BookingRefused, match="less than 24 hours"):
        reschedule_online(appointment, at(WEDNESDAY, "11:00"))
    with pytest.raises(BookingRefused, match="less than 24 hours"):
        cancel_online(appointment)
    db.session.rollback()
    assert appointment.cancelled_at is None and appointment.starts_at == at(WEDNESDAY, "10:00")


def test_a_declined_or_cancelled_appointment_cant_be_changed(online):
    declined = book(online, at(WEDNESDAY, "10:00"))
    declined.status = "declined"
    db.session.commit()
    with pytest.raises(BookingRefused, match="declined"):
        cancel_online(declined)
    cancelled = book(online, at(WEDNESDAY, "11:00"))
    cancel_online(cancelled)
    db.session.commit()
    with pytest.raises(BookingRefused, match="cancelled"):
        reschedule_online(cancelled, at(WEDNESDAY, "09:00"))


# --- the client's e-mail --------------------------------------------------------------------------

def _event(message):
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return part, calendar, event


def test_it_mails_the_client_without_the_service_and_with_a_calendar_update(smtp_server, app, online):
    online.session.name = "Trauma therapy"
    db.session.commit()
    appointment = book(online, at(TUESDAY, "10:00"))
    run_jobs(app)
    reschedule_online(appointment, at(TUESDAY, "11:00"))
    db.session.commit()
    run_jobs(app)
    cancel_online(appointment)
    db.session.commit()
    run_jobs(app)
    run_jobs(app)
    booked, moved, cancelled = smtp_server.to("aisha@example.com")
    assert booked["To"] == "aisha@example.com"
    assert booked["Subject"] == "Your appointment with Brunswick Practice is booked"
    body = booked.get_body(("plain",)).get_content()
    assert "Carlos Diaz" in body and "Tuesday 2 June at 5:00 AM" in body and "/portal/appointments" in body
    assert all("Trauma" not in m.as_string() for m in smtp_server.messages)
    sequences, uids = [], set()
    for message, method, status in [(booked, "REQUEST", "CONFIRMED"), (moved, "REQUEST", "CONFIRMED"),
                                    (cancelled, "CANCEL", "CANCELLED")]:
        part, calendar, event = _event(message)
        assert part.get_param("method") == method and str(calendar["method"]) == method
        assert str(event["status"]) == status
        sequences.append(int(event["sequence"]))
        uids.add(str(event["uid"]))
    assert sequences == [0, 1, 2] and len(uids) == 1
    assert _event(moved)[2].decoded("dtstart") == at(TUESDAY, "11:00")
    assert moved["Subject"] == "Your appointment with Brunswick Practice has moved"
    assert cancelled["Subject"] == "Your appointment with Brunswick Practice is cancelled"


def test_a_request_is_mailed_as_a_request_and_the_sweep_sends_a_dropped_notice(smtp_server, app, online):
    online.rules.mode = "requests"
    db.session.commit()
    book(online, at(TUESDAY, "10:00"))
    sweep_appointment_notices()  # as if the queued job had been lost; the job itself then finds it sent
    run_jobs(app)
    [message] = [m for m in smtp_server.to("aisha@example.com") if "request" in m["Subject"]]
    assert message["Subject"] == "Your appointment request to Brunswick Practice"
    assert "will confirm it" in message.get_body(("plain",)).get_content()
    assert str(_event(message)[2]["status"]) == "TENTATIVE"
    notice = db.session.scalar(select(AppointmentNotice))
    assert notice.sent_at is not None and notice.attempts == 1


def test_the_database_refuses_two_overlapping_online_bookings_but_not_staff_ones(online):
    """PostgreSQL holds online bookings apart itself; SQLite relies on the write lock book_online takes."""
    if db.session.get_bind().dialect.name != "postgresql":
        return

    def add(minutes_after_ten: int, booked_online: bool) -> None:
        db.session.add(Appointment(workspace_id=online.workspace.id, client_id=online.aisha.id,
                                   practitioner_id=online.carlos.id, duration_minutes=50, kind="telehealth",
                                   starts_at=at(TUESDAY, "10:00") + timedelta(minutes=minutes_after_ten),
                                   created_at=NOW, booked_online=booked_online, status="booked"))
        db.session.commit()

    add(0, True)
    add(20, False)  # staff "book anyway"
    with pytest.raises(IntegrityError):
        add(40, True)
    db.session.rollback()
    add(50, True)  # straight after: no overlap
    assert appointments() == 4


# --- the portal pages -----------------------------------------------------------------------------

def key() -> str:
    return str(uuid.uuid4())


def slot(starts_at: datetime) -> str:
    return starts_at.strftime("%Y-%m-%dT%H:%MZ")


@pytest.fixture
def portal(online, as_user):
    return as_user(online.aisha_account)


def test_it_walks_from_appointments_to_a_booking(online, portal):
    page = portal.get("/portal/appointments").get_data(as_text=True)
    assert "Book an appointment" in page
    services = portal.get("/portal/book").get_data(as_text=True)
    assert f"/portal/book/{online.session.id}" in services and "Session" in services
    who = portal.get(f"/portal/book/{online.session.id}").get_data(as_text=True)
    assert "Carlos Diaz" in who and "Anyone available" in who
    times = portal.get(f"/portal/book/{online.session.id}/times?with={online.carlos.id}")
    body = times.get_data(as_text=True)
    assert times.status_code == 200
    # Aisha is in New York: Carlos's 09:00 in London on Tuesday is 4:00 AM for her; Monday is inside the notice
    assert "Tuesday 2 June" in body and "4:00 AM" in body and "<h3>Monday 1 June" not in body
    assert f"at={slot(at(TUESDAY, '09:00'))}" in body
    assert "Later" in body and "Earlier" not in body
    confirm = portal.get(f"/portal/book/{online.session.id}/confirm?with={online.carlos.id}"
                         f"&at={slot(at(TUESDAY, '10:00'))}")
    assert "Confirm your appointment" in confirm.get_data(as_text=True)
    response = portal.post(f"/portal/book/{online.session.id}/confirm", {
        "with": online.carlos.id, "at": slot(at(TUESDAY, "10:00")), "request_key": key()})
    assert response.status_code == 303
    appointment = db.session.scalar(select(Appointment).where(Appointment.booked_online.is_(True)))
    assert response.location.endswith(f"/portal/appointments#appointment-{appointment.id}")
    listing = portal.get("/portal/appointments").get_data(as_text=True)
    assert "Booked: Tuesday 2 June, 5:00 AM with Carlos Diaz." in listing
    assert f"/portal/appointments/{appointment.id}/reschedule" in listing
    home = portal.get("/portal").get_data(as_text=True)
    assert "Tuesday 2 June, 5:00 AM" in home


def test_a_request_shows_as_requested(online, portal):
    online.rules.mode = "requests"
    db.session.commit()
    portal.post(f"/portal/book/{online.session.id}/confirm", {
        "with": "anyone", "at": slot(at(TUESDAY, "09:00")), "request_key": key()})
    listing = portal.get("/portal/appointments").get_data(as_text=True)
    assert "Requested — the practice will confirm" in listing
    assert "Requested — the practice will confirm" in portal.get("/portal").get_data(as_text=True)


def test_the_week_is_the_clients_own_across_a_daylight_saving_change(online, as_user):
    online.rules.horizon_days = 200
    db.session.commit()
    clock.freeze(datetime(2026, 10, 28, 12, 0, tzinfo=UTC))  # London is back on GMT, New York not until 1 November
    portal = as_user(online.aisha_account)
    body = portal.get(f"/portal/book/{online.session.id}/times?with={online.carlos.id}&from=2026-10-30").get_data(
        as_text=True)
    assert "Friday 30 October" in body and "Monday 2 November" in body
    # Carlos's 09:00 GMT: 5:00 AM in New York on EDT (Friday), 4:00 AM on EST (Monday)
    friday, monday = body.split("<h3>Friday 30 October")[1], body.split("<h3>Monday 2 November")[1]
    assert ">5:00 AM<" in friday.split("</ul>")[0] and ">4:00 AM<" in monday.split("</ul>")[0]


CRAFTED = {
    "a time off the steps": lambda o: {"with": o.carlos.id, "at": slot(at(TUESDAY, "09:10"))},
    "a time in the past": lambda o: {"with": o.carlos.id, "at": slot(at(date(2026, 5, 29), "09:00"))},
    "outside the hours": lambda o: {"with": o.carlos.id, "at": slot(at(TUESDAY, "18:00"))},
    "a practitioner who doesn't offer it": lambda o: {"with": o.owner.id, "at": slot(at(TUESDAY, "09:00"))},
    "no time at all": lambda o: {"with": o.carlos.id, "at": "tomorrow"},
}


@pytest.mark.parametrize("fields", list(CRAFTED.values()), ids=list(CRAFTED))
def test_a_crafted_booking_is_refused_and_writes_nothing(online, portal, fields):
    response = portal.post(f"/portal/book/{online.session.id}/confirm", {
        **fields(online), "request_key": key()})
    assert response.status_code in (303, 404, 409, 422)
    if response.status_code == 303:  # an unreadable time goes back to choosing one
        assert "/times" in response.location
    assert appointments() == 1


def test_booking_off_or_a_new_client_gets_no_booking_pages(online, portal):
    online.rules.mode = "off"
    db.session.commit()
    assert "Book an appointment" not in portal.get("/portal/appointments").get_data(as_text=True)
    assert "Online booking is off" in portal.get("/portal/book").get_data(as_text=True)
    assert portal.get(f"/portal/book/{online.session.id}/times").status_code == 404
    response = portal.post(f"/portal/book/{online.session.id}/confirm", {
        "with": online.carlos.id, "at": slot(at(TUESDAY, "09:00")), "request_key": key()})
    assert response.status_code == 404 and appointments() == 1


def test_a_double_submit_makes_one_appointment(online, portal):
    fields = {"with": online.carlos.id, "at": slot(at(TUESDAY, "09:00")), "request_key": key()}
    assert portal.post(f"/portal/book/{online.session.id}/confirm", fields).status_code == 303
    assert portal.post(f"/portal/book/{online.session.id}/confirm", fields).status_code == 303
    assert appointments() == 2


def test_a_taken_time_is_409_with_the_next_free_ones(online, portal):
    book(online, at(TUESDAY, "09:00"))
    response = portal.post(f"/portal/book/{online.session.id}/confirm", {
        "with": online.carlos.id, "at": slot(at(TUESDAY, "09:00")), "request_key": key()})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "That time was just taken" in body and "Tuesday 2 June, 5:00 AM" in body  # 10:00 London, the next free
    assert appointments() == 2


def test_it_reschedules_and_cancels_from_the_portal(online, portal):
    appointment = book(online, at(WEDNESDAY, "09:00"))
    page = portal.get(f"/portal/appointments/{appointment.id}/reschedule").get_data(as_text=True)
    assert "Reschedule your appointment" in page
    response = portal.post(f"/portal/appointments/{appointment.id}/reschedule/confirm",
                           {"at": slot(at(WEDNESDAY, "11:00"))})
    assert response.status_code == 303
    db.session.refresh(appointment)
    assert appointment.starts_at == at(WEDNESDAY, "11:00") and appointment.sequence == 1
    assert "Cancel your appointment?" in portal.get(f"/portal/appointments/{appointment.id}/cancel").get_data(
        as_text=True)
    assert portal.post(f"/portal/appointments/{appointment.id}/cancel").status_code == 303
    db.session.refresh(appointment)
    assert appointment.cancelled_at is not None and appointment.sequence == 2
    again = portal.post(f"/portal/appointments/{appointment.id}/cancel")
    assert again.status_code == 409 and "This appointment was cancelled." in again.get_data(as_text=True)


def test_inside_the_cut_off_the_client_is_told_to_call(online, as_user):
    appointment = book(online, at(WEDNESDAY, "09:00"))
    clock.freeze(at(WEDNESDAY, "09:00") - timedelta(hours=20))
    portal = as_user(online.aisha_account)
    listing = portal.get("/portal/appointments").get_data(as_text=True)
    assert "call Brunswick Practice on" in listing and "+1 207 555 0100" in listing
    assert f"/portal/appointments/{appointment.id}/cancel" not in listing
    page = portal.get(f"/portal/appointments/{appointment.id}/cancel").get_data(as_text=True)
    assert "starts in less than 24 hours" in page and "+1 207 555 0100" in page
    response = portal.post(f"/portal/appointments/{appointment.id}/reschedule/confirm",
                           {"at": slot(at(WEDNESDAY, "11:00"))})
    assert response.status_code == 409
    assert portal.post(f"/portal/appointments/{appointment.id}/cancel").status_code == 409
    db.session.refresh(appointment)
    assert appointment.cancelled_at is None and appointment.starts_at == at(WEDNESDAY, "09:00")


def test_another_clients_appointment_is_404_and_untouched(online, as_user):
    appointment = book(online, at(WEDNESDAY, "09:00"))
    nora = make_client(online.workspace, "Nora", "Lindqvist", "nora@example.com")
    other = as_user(make_portal_account(nora))
    assert other.post(f"/portal/appointments/{appointment.id}/cancel").status_code == 404
    assert other.post(f"/portal/appointments/{appointment.id}/reschedule/confirm",
                      {"at": slot(at(WEDNESDAY, "11:00"))}).status_code == 404
    db.session.refresh(appointment)
    assert appointment.cancelled_at is None and appointment.sequence == 0


# --- two clients at the same moment ---------------------------------------------------------------

def confirm_at_once(base: str, path: str, visitors: list[HttpVisitor], forms: list[dict]) -> list[tuple[int, str]]:
    """POST each form from its own signed-in visitor, all released together: (status, page) each."""
    barrier = threading.Barrier(len(forms))
    results: list = [None] * len(forms)

    def post(index: int) -> None:
        visitor = visitors[index]
        _, page, _ = visitor.get("/login/help")
        data = urllib.parse.urlencode({"csrf_token": CSRF_IN_PAGE.search(page).group(1), **forms[index]}).encode()
        barrier.wait(timeout=30)
        status, body, _ = visitor._open(urllib.request.Request(base + path, data=data, method="POST"))
        results[index] = (status, body)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_clients_confirming_the_same_time_at_once_get_one_booking(live_server):
    with live_server.app.app_context():
        workspace = make_workspace()
        carlos = make_staff(workspace, "carlos@brunswick.example", "practitioner", "Carlos Diaz")
        db.session.add(BookingRules(workspace_id=workspace.id, mode="instant", min_notice_minutes=60, horizon_days=14,
                                    slot_step_minutes=30, change_cutoff_minutes=60, new_clients_may_book=True))
        service = Service(workspace_id=workspace.id, name="Session", duration_minutes=50, kind="telehealth",
                          created_at=clock.now(), practitioners=[carlos])
        db.session.add(service)
        db.session.add_all(WeeklyHours(workspace_id=workspace.id, practitioner_id=carlos.id, weekday=day,
                                       starts=time(0), ends=time(23, 59)) for day in range(7))
        db.session.commit()
        clients = [make_client(workspace, name, "Client", f"{name.lower()}@example.com") for name in ("Aisha", "Nora")]
        for client in clients:
            make_portal_account(client)
        [first, second, *_] = open_slots(service, carlos, clock.now(), clock.now() + timedelta(days=2))[carlos.id]
        service_id, carlos_id = service.id, carlos.id
    visitors = []
    for email in ("aisha@example.com", "nora@example.com"):
        visitor = HttpVisitor(live_server.url)
        status, _, url = visitor.post("/portal/login", {"email": email, "password": PASSWORD})
        assert url.endswith("/portal"), (status, url)
        visitors.append(visitor)
    results = confirm_at_once(live_server.url, f"/portal/book/{service_id}/confirm", visitors,
                              [{"with": carlos_id, "at": slot(first), "request_key": key()} for _ in visitors])
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409], statuses
    [taken] = [body for status, body in results if status == 409]
    assert "That time was just taken" in taken
    assert ">" + local_day(second, "America/New_York") in taken or local_time(second, "America/New_York") in taken
    with live_server.app.app_context():
        booked = db.session.scalars(select(Appointment).where(Appointment.practitioner_id == carlos_id)).all()
        assert [a.starts_at for a in booked] == [first]


def test_the_practitioner_hears_of_each_change_made_online(online):
    appointment = book(online, at(TUESDAY, "10:00"))
    reschedule_online(appointment, at(TUESDAY, "11:00"))
    db.session.commit()
    cancel_online(appointment)
    db.session.commit()
    told = db.session.scalars(select(PracticeNotice).order_by(PracticeNotice.id)).all()
    assert [(n.user_id, n.change) for n in told] == [(online.carlos.id, c) for c in ("booked", "rescheduled",
                                                                                      "cancelled")]


def test_the_client_is_mailed_the_practices_answer_to_a_request(smtp_server, app, online):
    online.rules.mode = "requests"
    db.session.commit()
    approved = book(online, at(TUESDAY, "10:00"))
    declined = book(online, at(WEDNESDAY, "10:00"))
    approve_request(approved, online.carlos)
    decline_request(declined, online.carlos, "Carlos is away that week; please choose another day.")
    db.session.commit()
    run_jobs(app)
    run_jobs(app)
    subjects = {m["Subject"]: m for m in smtp_server.to("aisha@example.com")}
    booked = subjects["Your appointment with Brunswick Practice is booked"]
    assert str(_event(booked)[2]["status"]) == "CONFIRMED"
    refused = subjects["Your appointment request to Brunswick Practice was declined"]
    part, calendar, event = _event(refused)
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert "away that week" not in refused.as_string()  # the practice's words wait in the portal
