"""+ Compose and Create group at a large practice: a client search instead of a list of every client."""

from sqlalchemy import func, select

from app import clock
from app.clients.models import Client
from app.db import db
from app.inbox.models import Conversation
from app.inbox.picker import LIST_ALL_UP_TO
from app.inbox.policy import ASSIGNED_ONLY
from tests.conftest import counting_queries, make_client
from tests.inbox.conftest import key


def add_clients(practice, count: int, care_team=()) -> None:
    """Clients named Member0001 Test, … so that a search for "Member" matches them all."""
    have = db.session.scalar(select(func.count(Client.id)).where(Client.workspace_id == practice.workspace.id))
    db.session.add_all(Client(workspace_id=practice.workspace.id, first_name=f"Member{n:04d}", last_name="Test",
                              email=f"m{n}@example.com", time_zone="America/New_York", care_team=list(care_team),
                              created_at=clock.now()) for n in range(have, count))
    db.session.commit()


def test_it_asks_the_same_number_of_queries_for_5_or_150_clients(practice, as_user):
    carlos = as_user(practice.carlos)

    def queries_with(count: int, url: str) -> int:
        add_clients(practice, count)
        carlos.get(url)
        with counting_queries() as statements:
            assert carlos.get(url).status_code == 200
        return len(statements)

    for url in ("/inbox/compose?q=Member", "/inbox/groups/new?q=Member"):
        db.session.execute(Client.__table__.delete().where(Client.first_name.like("Member%")))
        db.session.commit()
        assert queries_with(5, url) == queries_with(150, url)


def test_it_keeps_the_list_at_a_small_practice(practice, as_user):
    page = as_user(practice.carlos).get("/inbox/compose").get_data(as_text=True)
    assert '<select' in page and "Aisha Rahman" in page and 'name="find"' not in page


def test_it_searches_for_the_client_to_write_to_without_javascript(practice, as_user):
    add_clients(practice, LIST_ALL_UP_TO + 50)
    carlos = as_user(practice.carlos)
    page = carlos.get("/inbox/compose").get_data(as_text=True)
    assert 'name="find"' in page and "Member0010" not in page and "<select" not in page
    request_key = key()
    found = carlos.post("/inbox/compose", {"q": "aisha", "find": "1", "body": "Your results are in.",
                                           "request_key": request_key})
    page = found.get_data(as_text=True)
    assert found.status_code == 200 and 'type="radio"' in page and "Aisha Rahman" in page
    assert "Your results are in." in page and "Member0010" not in page
    many = carlos.post("/inbox/compose", {"q": "Member", "find": "1", "body": "x", "request_key": key()})
    assert many.get_data(as_text=True).count('type="radio"') == 20
    sent = carlos.post("/inbox/compose", {"q": "aisha", "client": practice.aisha.id, "body": "Your results are in.",
                                          "request_key": request_key})
    assert sent.status_code == 303


def test_it_preselects_the_client_from_their_record_without_listing_anyone(practice, as_user):
    add_clients(practice, LIST_ALL_UP_TO + 50)
    page = as_user(practice.carlos).get(f"/inbox/compose?client={practice.aisha.id}").get_data(as_text=True)
    assert "Aisha Rahman" in page and "checked" in page and "Member0010" not in page


def test_it_refuses_a_crafted_client_at_a_large_practice(practice, outsider, as_user):
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.priya])
    add_clients(practice, LIST_ALL_UP_TO + 50, care_team=[practice.carlos])
    practice.workspace.communication_mode = ASSIGNED_ONLY
    db.session.commit()
    carlos = as_user(practice.carlos)
    for client_id in (ben.id, outsider.client.id):
        response = carlos.post("/inbox/compose", {"client": client_id, "body": "hi", "request_key": key()})
        assert response.status_code == 422 and "Ben Okafor" not in response.get_data(as_text=True)
        response = carlos.post("/inbox/groups/new", {"title": "Class", "clients": [client_id, practice.aisha.id],
                                                     "body": "hi", "request_key": key()})
        assert response.status_code == 422
    assert db.session.scalar(select(func.count(Conversation.id))) == 0


def test_it_keeps_the_chosen_clients_of_a_group_across_searches_without_javascript(practice, as_user):
    add_clients(practice, LIST_ALL_UP_TO + 50)
    carlos = as_user(practice.carlos)
    member = db.session.scalar(select(Client).where(Client.first_name == "Member0120"))
    page = carlos.post("/inbox/groups/new", {"title": "Tuesday class", "q": "aisha", "find": "1",
                                             "clients": [member.id], "body": "Class moves to 6pm."})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Aisha Rahman" in text and "Member0120" in text
    assert "Class moves to 6pm." in text and "Tuesday class" in text and "Member0010" not in text
    response = carlos.post("/inbox/groups/new", {"title": "Tuesday class", "clients": [member.id, practice.aisha.id],
                                                 "body": "Class moves to 6pm.", "request_key": key()})
    assert response.status_code == 303
    assert {c.first_name for c in db.session.scalar(select(Conversation)).clients} == {"Aisha", "Member0120"}
