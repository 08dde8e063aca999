"""The client list at a large practice: pages by name, search, and the same few queries for 5 or 500 clients."""

import re

from sqlalchemy import insert, select

from app import clock
from app.clients.models import Client, care_team
from app.db import db
from tests.conftest import counting_queries


def _many(workspace, count: int, team=()) -> None:
    now = clock.now()
    db.session.execute(insert(Client), [
        {"workspace_id": workspace.id, "first_name": f"Client{n:04d}", "last_name": "Many",
         "email": f"c{n:04d}@example.com", "time_zone": "UTC", "created_at": now} for n in range(count)])
    ids = db.session.scalars(select(Client.id).where(Client.last_name == "Many")).all()
    if team:
        db.session.execute(insert(care_team), [{"client_id": i, "user_id": m.id} for i in ids for m in team])
    db.session.commit()


def _names(page: str) -> list[str]:
    return re.findall(r'<a href="/clients/\d+">([^<]+)</a>', page)


def _next(page: str) -> str | None:
    found = re.search(r'<a href="([^"]+)"[^>]*rel="next"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_list_walks_every_client_once_by_name_without_javascript(practice, as_user):
    _many(practice.workspace, 120, team=[practice.carlos])
    owner = as_user(practice.owner)
    seen, url = [], "/clients"
    while url:
        page = owner.get(url)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        seen += _names(html)
        url = _next(html)
    assert len(seen) == 121 and seen == sorted(seen, key=lambda n: (n.split()[-1], n)) and len(set(seen)) == 121
    assert "after=" in owner.get("/clients").get_data(as_text=True)


def test_the_previous_link_returns_the_page_before(practice, as_user):
    _many(practice.workspace, 60)
    owner = as_user(practice.owner)
    first = owner.get("/clients").get_data(as_text=True)
    second = owner.get(_next(first)).get_data(as_text=True)
    back = re.search(r'<a href="([^"]+)"[^>]*rel="prev"', second).group(1).replace("&amp;", "&")
    assert _names(owner.get(back).get_data(as_text=True)) == _names(first)


def test_search_pages_keep_the_search_and_an_htmx_page_is_the_rows_alone(practice, as_user):
    _many(practice.workspace, 80)
    owner = as_user(practice.owner)
    html = owner.get("/clients?q=client00").get_data(as_text=True)
    assert len(_names(html)) == 50 and "q=client00" in _next(html)
    rest = owner.get(_next(html), htmx=True).get_data(as_text=True)
    assert rest.strip().startswith('<tbody id="client-rows">') and len(_names(rest)) == 30
    assert _names(owner.get("/clients?q=c0079%40example").get_data(as_text=True)) == ["Client0079 Many"]
    assert "Aisha" in owner.get("/clients?q=isha rah").get_data(as_text=True)


def test_a_forged_cursor_shows_the_first_page(practice, as_user):
    _many(practice.workspace, 60)
    owner = as_user(practice.owner)
    first = owner.get("/clients").get_data(as_text=True)
    assert _names(owner.get("/clients?after=eyJ4IjoxfQ.forged").get_data(as_text=True)) == _names(first)


def test_a_practitioner_pages_only_through_their_roster(practice, as_user):
    _many(practice.workspace, 70, team=[practice.priya])
    carlos = as_user(practice.carlos)
    assert _names(carlos.get("/clients").get_data(as_text=True)) == ["Aisha Rahman"]
    priya = as_user(practice.priya)
    html = priya.get("/clients").get_data(as_text=True)
    assert len(_names(html)) == 50 and "Aisha" not in html
    assert len(_names(priya.get(_next(html)).get_data(as_text=True))) == 20


def _queries_for_the_list(owner, url: str) -> int:
    owner.get(url)
    with counting_queries() as statements:
        assert owner.get(url).status_code == 200
    return len(statements)


def test_the_list_runs_the_same_queries_for_5_or_500_clients(practice, as_user):
    owner = as_user(practice.owner)
    _many(practice.workspace, 4, team=[practice.carlos, practice.priya])
    small = _queries_for_the_list(owner, "/clients")
    db.session.execute(care_team.delete())
    db.session.execute(Client.__table__.delete().where(Client.last_name == "Many"))
    db.session.commit()
    _many(practice.workspace, 499, team=[practice.carlos, practice.priya])
    large = _queries_for_the_list(owner, "/clients")
    assert large == small and large <= 14
    assert _queries_for_the_list(owner, "/clients?q=client01") <= 14
