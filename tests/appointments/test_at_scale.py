"""Appointments at a client with years of them: the portal pages them (upcoming soonest first, past latest
first) and neither it nor the client record runs more queries for 60 appointments than for 3."""

import re
from datetime import timedelta
from html import unescape

from app import clock
from app.appointments.models import Appointment
from app.db import db
from tests.conftest import counting_queries, make_portal_account


def appointments(practice, client, upcoming: int, past: int) -> None:
    """`upcoming` appointments a day apart from tomorrow, and `past` ones a day apart before yesterday."""
    now = clock.now().replace(microsecond=0)
    starts = [now + timedelta(days=n + 1) for n in range(upcoming)] + [now - timedelta(days=n + 1)
                                                                      for n in range(past)]
    practitioners = [practice.carlos, practice.priya, practice.owner]
    db.session.add_all([Appointment(workspace_id=practice.workspace.id, client_id=client.id,
                                    practitioner_id=practitioners[n % 3].id, starts_at=start, duration_minutes=50,
                                    kind="in_person", created_at=now) for n, start in enumerate(starts)])
    db.session.commit()


def _ids(html: str, section: str) -> list[int]:
    part = html[html.index(f'id="appointments-{section}"'):]
    part = part[:part.index("</ul>")] if "</ul>" in part else ""
    return [int(n) for n in re.findall(r'<li id="appointment-(\d+)"', part)]


def _next(html: str, section: str) -> str | None:
    part = html[html.index(f'id="appointments-{section}"'):]
    found = re.search(r'<a href="([^"]+)"[^>]*rel="next"', part[:part.index("</div>")])
    return unescape(found.group(1)) if found else None


def test_the_portal_pages_upcoming_soonest_first_and_past_latest_first_without_javascript(practice, as_user):
    appointments(practice, practice.aisha, 30, 45)
    aisha = as_user(make_portal_account(practice.aisha))
    by_start = {a.id: a.starts_at for a in db.session.query(Appointment)}
    upcoming, url = [], "/portal/appointments"
    while url:
        html = aisha.get(url).get_data(as_text=True)
        upcoming += _ids(html, "upcoming")
        url = _next(html, "upcoming")
    assert len(upcoming) == 30 and [by_start[i] for i in upcoming] == sorted(by_start[i] for i in upcoming)
    past, url = [], "/portal/appointments"
    while url:
        html = aisha.get(url).get_data(as_text=True)
        past += _ids(html, "past")
        url = _next(html, "past")
    assert len(past) == 45 and [by_start[i] for i in past] == sorted((by_start[i] for i in past), reverse=True)


def test_an_htmx_page_of_past_appointments_is_that_section_alone(practice, as_user):
    appointments(practice, practice.aisha, 2, 30)
    aisha = as_user(make_portal_account(practice.aisha))
    first = aisha.get("/portal/appointments").get_data(as_text=True)
    rest = aisha.get(_next(first, "past"), htmx=True).get_data(as_text=True)
    assert rest.lstrip().startswith('<div id="appointments-past">') and "<h1>" not in rest
    assert len(_ids(rest, "past")) == 10 and not set(_ids(rest, "past")) & set(_ids(first, "past"))


def test_the_portal_and_the_record_run_the_same_queries_for_3_or_60_appointments(practice, as_user):
    account = make_portal_account(practice.aisha)
    appointments(practice, practice.aisha, 2, 1)
    counts = []
    for _ in range(2):
        for user, url in ((account, "/portal/appointments"), (practice.owner, f"/clients/{practice.aisha.id}")):
            viewer = as_user(user)
            with counting_queries() as statements:
                assert viewer.get(url).status_code == 200
            counts.append(len(statements))
        db.session.expunge_all()
        appointments(practice, practice.aisha, 30, 27)
    assert counts[:2] == counts[2:]
