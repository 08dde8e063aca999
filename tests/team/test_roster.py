"""A colleague's roster: the clients whose care team they are on, searchable and paginated for a large practice."""

import re

from sqlalchemy import insert, select

from app import clock
from app.audit.models import AuditEvent
from app.clients.models import Client
from app.db import db
from app.team.service import ROSTER_PER_PAGE
from tests.conftest import make_client


def many_clients(workspace, count: int, care_team=()) -> None:
    """`count` clients in one statement: a large practice without a minute of set-up."""
    now = clock.now()
    db.session.execute(insert(Client), [
        {"workspace_id": workspace.id, "first_name": f"Client{n:05d}", "last_name": "Many", "email": None,
         "time_zone": "UTC", "created_at": now} for n in range(count)])
    db.session.commit()
    if care_team:
        from app.clients.models import care_team as team_table

        ids = db.session.scalars(select(Client.id).where(Client.last_name == "Many")).all()
        db.session.execute(insert(team_table), [{"client_id": i, "user_id": m.id} for i in ids for m in care_team])
        db.session.commit()


def names_in(page: str) -> list[str]:
    return re.findall(r'<a href="/clients/\d+">([^<]+)</a>', page)


def test_it_adds_a_client_to_a_roster_and_the_practitioner_then_sees_them(practice, as_user):
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com")
    owner = as_user(practice.owner)
    found = owner.get(f"/settings/team/{practice.priya.id}?find=okaf").get_data(as_text=True)
    assert "Ben Okafor" in found and "Aisha" not in found.split("Add clients")[1]
    response = owner.post(f"/settings/team/{practice.priya.id}/roster/add", {"client_id": ben.id, "find": "okaf"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/settings/team/{practice.priya.id}?find=okaf"
    page = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ben Okafor is now on Priya&#39;s roster." in page
    assert names_in(page) == ["Ben Okafor"]
    priya = as_user(practice.priya)
    assert names_in(priya.get("/clients").get_data(as_text=True)) == ["Ben Okafor"]
    assert priya.get(f"/clients/{ben.id}").status_code == 200
    assert priya.get(f"/clients/{practice.aisha.id}").status_code == 404
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "care_team.changed"))
    assert (event.client_id, event.subject_user_id, event.detail, event.actor_user_id) == (
        ben.id, practice.priya.id, "added", practice.owner.id)


def test_it_removes_a_client_and_the_practitioner_no_longer_sees_them(practice, as_user):
    owner = as_user(practice.owner)
    response = owner.post(f"/settings/team/{practice.carlos.id}/roster/remove", {"client_id": practice.aisha.id},
                          htmx=True)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section class="panel" id="roster"')
    assert "Aisha Rahman is off Carlos&#39;s roster." in fragment and "No clients yet." in fragment
    assert as_user(practice.carlos).get(f"/clients/{practice.aisha.id}").status_code == 404
    assert db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "care_team.changed")).all() == [
        "removed"]


def test_it_changes_nothing_on_a_repeated_click(practice, as_user):
    owner = as_user(practice.owner)
    for _ in range(2):
        owner.post(f"/settings/team/{practice.carlos.id}/roster/add", {"client_id": practice.aisha.id})
    assert [m.id for m in db.session.get(Client, practice.aisha.id).care_team] == [practice.carlos.id]
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "care_team.changed")) is None


def test_it_refuses_another_practices_client(practice, outsider, as_user):
    response = as_user(practice.owner).post(f"/settings/team/{practice.carlos.id}/roster/add",
                                            {"client_id": outsider.client.id})
    assert response.status_code == 404
    assert db.session.get(Client, outsider.client.id).care_team == [outsider.owner]


def test_it_pages_and_searches_a_roster_of_a_large_practice(practice, as_user):
    many_clients(practice.workspace, 10_000, care_team=[practice.priya])
    owner = as_user(practice.owner)
    first = owner.get(f"/settings/team/{practice.priya.id}").get_data(as_text=True)
    assert len(names_in(first)) == ROSTER_PER_PAGE and "1–25 of 10000" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = owner.get(f"/settings/team/{practice.priya.id}?page=400").get_data(as_text=True)
    assert names_in(last)[-1] == "Client09999 Many" and 'rel="next"' not in last
    found = owner.get(f"/settings/team/{practice.priya.id}?q=client0042").get_data(as_text=True)
    assert names_in(found) == [f"Client0042{n} Many" for n in range(10)]
    candidates = owner.get(f"/settings/team/{practice.priya.id}?find=Rahman").get_data(as_text=True)
    assert "Aisha Rahman" in candidates
    assert owner.get(f"/settings/team/{practice.priya.id}?page=nonsense").status_code == 200
