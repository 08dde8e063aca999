"""Keyset pages: every row once going forward, the same pages coming back, and a cursor nobody can forge."""

import base64
from datetime import timedelta

from sqlalchemy import insert, select

from app import clock
from app.clients.models import Client
from app.db import db
from app.paging import keyset_page_of, make_cursor, read_cursor
from tests.conftest import make_workspace


def _clients(workspace, count: int) -> None:
    start = clock.now()
    db.session.execute(insert(Client), [
        {"workspace_id": workspace.id, "first_name": f"F{n % 7}", "last_name": f"L{n % 3}", "email": None,
         "time_zone": "UTC", "created_at": start + timedelta(minutes=n // 2)} for n in range(count)])
    db.session.commit()


def _walk(query, order, size, scope, descending=False):
    pages, cursor = [], None
    while True:
        page = keyset_page_of(query, order, cursor, size, scope=scope, descending=descending)
        pages.append(page)
        if not page.has_next:
            return pages
        cursor = page.next_cursor


def test_forward_then_back_by_name_visits_every_row_once_in_order(app):
    workspace = make_workspace()
    _clients(workspace, 23)
    query = select(Client).where(Client.workspace_id == workspace.id)
    order = [Client.last_name, Client.first_name, Client.id]
    pages = _walk(query, order, 5, "clients")
    seen = [c.id for p in pages for c in p.items]
    expected = db.session.scalars(query.order_by(*order)).all()
    assert seen == [c.id for c in expected]
    assert [len(p.items) for p in pages] == [5, 5, 5, 5, 3]
    assert not pages[0].has_previous and all(p.has_previous for p in pages[1:])
    back = pages[-1]
    for earlier in reversed(pages[:-1]):
        back = keyset_page_of(query, order, back.previous_cursor, 5, scope="clients")
        assert [c.id for c in back.items] == [c.id for c in earlier.items]
    assert not back.has_previous and back.has_next


def test_newest_first_by_timestamp_with_ties(app):
    workspace = make_workspace()
    _clients(workspace, 11)
    query = select(Client).where(Client.workspace_id == workspace.id)
    pages = _walk(query, [Client.created_at, Client.id], 4, "newest", descending=True)
    seen = [c.id for p in pages for c in p.items]
    assert seen == db.session.scalars(select(Client.id).where(Client.workspace_id == workspace.id)
                                      .order_by(Client.created_at.desc(), Client.id.desc())).all()


def test_an_edited_or_foreign_cursor_gives_the_first_page(app):
    workspace = make_workspace()
    _clients(workspace, 9)
    query = select(Client).where(Client.workspace_id == workspace.id)
    order = [Client.last_name, Client.first_name, Client.id]
    first = keyset_page_of(query, order, None, 4, scope="clients")
    second = keyset_page_of(query, order, first.next_cursor, 4, scope="clients")
    assert second.items != first.items
    tampered = first.next_cursor[:-2] + ("AA" if not first.next_cursor.endswith("AA") else "BB")
    for cursor in (tampered, "nonsense", first.next_cursor + "x"):
        assert keyset_page_of(query, order, cursor, 4, scope="clients").items == first.items
    assert keyset_page_of(query, order, first.next_cursor, 4, scope="audit").items == first.items
    assert read_cursor("clients", make_cursor("clients", "n", "1")) is None
    assert read_cursor("clients", make_cursor("clients", "sideways", 1)) is None
    assert read_cursor("clients", make_cursor("clients", "p", 1)) == ("p", 1)


def test_a_cursor_for_a_row_outside_the_list_gives_the_first_page(app):
    mine, theirs = make_workspace(), make_workspace("Elsewhere Clinic")
    _clients(mine, 6)
    _clients(theirs, 6)
    query = select(Client).where(Client.workspace_id == mine.id)
    order = [Client.last_name, Client.first_name, Client.id]
    first = keyset_page_of(query, order, None, 4, scope="clients")
    foreign = db.session.scalar(select(Client.id).where(Client.workspace_id == theirs.id))
    assert keyset_page_of(query, order, make_cursor("clients", "n", foreign), 4, scope="clients").items == first.items


def test_the_cursor_holds_an_id_never_a_name(app):
    workspace = make_workspace()
    db.session.add(Client(workspace_id=workspace.id, first_name="Aisha", last_name="Rahman", phone="555-0100",
                          email="aisha@example.com", time_zone="UTC", created_at=clock.now()))
    db.session.add(Client(workspace_id=workspace.id, first_name="Ben", last_name="Okafor", email=None,
                          time_zone="UTC", created_at=clock.now()))
    db.session.commit()
    query = select(Client).where(Client.workspace_id == workspace.id)
    page = keyset_page_of(query, [Client.last_name, Client.first_name, Client.id], None, 1, scope="clients")
    assert page.has_next and page.items[0].last_name == "Okafor"

    payload = page.next_cursor.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    for said in ("Okafor", "Ben", "555", "example.com"):
        assert said not in decoded


def test_an_empty_list_has_no_links(app):
    workspace = make_workspace()
    page = keyset_page_of(select(Client).where(Client.workspace_id == workspace.id), [Client.id], None, 5,
                          scope="x")
    assert page.items == [] and not page.has_next and not page.has_previous
