"""Staff calendar: a day and a week, per practitioner and for the practice, in the viewer's zone, without JS."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app import clock
from app.appointments.models import Appointment
from app.calendar.service import span_of
from app.db import db
from tests.appointments.test_views import booking
from tests.conftest import make_client, make_portal_account

SUNDAY_US_DST_ENDS = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # New York goes back to EST this morning


@pytest.fixture
def booked(practice, as_user):
    """Lena with Carlos on Sunday 1 November 23:30 (New York, after the clocks went back) and Monday 2 November
    09:00; Hana (Priya's client) with Priya on Monday 10:00."""
    clock.freeze(datetime(2026, 10, 28, 12, 0, tzinfo=UTC))
    lena = make_client(practice.workspace, "Lena", "Lund", "lena@example.com", care_team=[practice.carlos])
    hana = make_client(practice.workspace, "Hana", "Sato", "hana@example.com", care_team=[practice.priya])
    carlos, priya = as_user(practice.carlos), as_user(practice.priya)
    for day, start in (("2026-11-01", "23:30"), ("2026-11-02", "09:00")):
        assert carlos.post(f"/clients/{lena.id}/appointments/new",
                           booking(practitioner=str(practice.carlos.id), day=day, start=start)).status_code == 303
    assert priya.post(f"/clients/{hana.id}/appointments/new",
                      booking(practitioner=str(practice.priya.id), day="2026-11-02", start="10:00")).status_code == 303
    clock.freeze(SUNDAY_US_DST_ENDS)
    return type("Booked", (), {"lena": lena, "hana": hana})


@pytest.mark.parametrize(("view", "day", "first", "length"), [
    ("week", date(2026, 11, 4), date(2026, 11, 2), 7),
    ("week", date(2026, 11, 1), date(2026, 10, 26), 7),  # a Sunday ends its week
    ("day", date(2026, 11, 4), date(2026, 11, 4), 1),
])
def test_a_span_is_a_monday_to_sunday_week_or_one_day(view, day, first, length):
    span = span_of(view, day)
    assert (span.first, len(span.days)) == (first, length)


def test_a_practitioners_week_lists_their_appointments_by_local_day(practice, booked, as_user):
    carlos = as_user(practice.carlos)
    response = carlos.get(f"/calendar?view=week&day=2026-10-30&who={practice.carlos.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Carlos Diaz:\nweek of 26 October 2026" in page
    sunday = page.index("1 November 2026")
    assert page.index('<time datetime="2026-11-02T04:30:00+00:00">11:30 PM</time> to 12:20 AM') > sunday
    assert "Sunday 1 November 2026 <span class=\"tag\">Today</span>" in page  # the local day, not UTC's Monday
    assert "9:00 AM" not in page  # Monday's is next week
    assert "Hana Sato" not in page and "Lena Lund" in page
    assert f'href="/calendar?view=week&amp;who={practice.carlos.id}&amp;day=2026-11-02"' in page
    assert 'hx-push-url="true"' in page
    assert "Times in America/New York." in page


def test_the_whole_practice_shows_everyone_and_hides_names_a_viewer_may_not_see(practice, booked, as_user):
    carlos = as_user(practice.carlos)
    page = carlos.get("/calendar?view=day&day=2026-11-02&who=all").get_data(as_text=True)
    assert "Whole practice:\n2 November 2026" in page
    assert "9:00 AM</time> to 9:50 AM" in page and "10:00 AM</time> to 10:50 AM" in page
    assert "With Priya Shah" in page and "With Carlos Diaz" in page
    assert "Hana Sato" not in page and "A client not on your list" in page  # Carlos doesn't see Priya's roster
    owner = as_user(practice.owner).get("/calendar?view=day&day=2026-11-02&who=all").get_data(as_text=True)
    assert "Hana Sato" in owner and "Lena Lund" in owner


def test_moving_between_weeks_with_htmx_sends_only_the_calendar(practice, booked, as_user):
    carlos = as_user(practice.carlos)
    response = carlos.get(f"/calendar?view=week&day=2026-11-02&who={practice.carlos.id}", htmx=True)
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and "<h1>Calendar</h1>" not in fragment
    assert '<section id="calendar"' in fragment and "9:00 AM" in fragment
    assert "HX-Request" in response.headers["Vary"]


def test_it_starts_on_this_week_for_the_viewer_and_copes_with_a_bad_date(practice, booked, as_user):
    carlos = as_user(practice.carlos)
    page = carlos.get("/calendar?day=someday&view=month").get_data(as_text=True)
    assert "Carlos Diaz:\nweek of 26 October 2026" in page  # the Sunday the clock is frozen on


def test_another_workspaces_practitioner_is_not_found(practice, outsider, booked, as_user):
    carlos = as_user(practice.carlos)
    assert carlos.get(f"/calendar?who={outsider.owner.id}").status_code == 404
    assert carlos.get("/calendar?who=nobody").status_code == 404


def test_clients_and_visitors_do_not_get_the_calendar(practice, booked, as_user, visitor):
    make_portal_account(booked.lena)
    assert as_user(booked.lena.account).get("/calendar").status_code == 404
    anonymous = visitor.get("/calendar")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_pending_request_shows_and_holds_its_time_and_a_declined_one_does_neither(practice, booked, as_user):
    monday = db.session.scalars(select(Appointment).where(Appointment.client_id == booked.lena.id)
                                .order_by(Appointment.starts_at)).all()[1]
    monday.status = "requested"
    db.session.commit()
    carlos = as_user(practice.carlos)
    url = f"/calendar?view=day&day=2026-11-02&who={practice.carlos.id}"
    assert '<span class="tag">Requested</span> <strong><time' in carlos.get(url).get_data(as_text=True)
    nora = make_client(practice.workspace, "Nora", "Nash", "nora@example.com", care_team=[practice.carlos])
    new = f"/clients/{nora.id}/appointments/new"
    assert carlos.post(new, booking(practitioner=str(practice.carlos.id), day="2026-11-02",
                                    start="09:00")).status_code == 422
    monday.status = "declined"
    db.session.commit()
    assert "9:00 AM" not in carlos.get(url).get_data(as_text=True)
    assert carlos.post(new, booking(practitioner=str(practice.carlos.id), day="2026-11-02",
                                    start="09:00")).status_code == 303
