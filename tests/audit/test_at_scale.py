"""The audit log and a client's "Who viewed my records" at a practice's size: pages by row, newest first, in the
same number of queries for 5 or 120 rows."""

import re
from html import unescape

from app.audit.trail import record
from app.db import db
from tests.conftest import counting_queries, make_client, make_portal_account


def views_of_aisha(practice, how_many: int) -> None:
    for _ in range(how_many):
        record("client.viewed", workspace_id=practice.workspace.id, client_id=practice.aisha.id,
               actor_user_id=practice.carlos.id)
    db.session.commit()


def _older(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)"[^>]*>Older(?: events)?</a>', html)
    return unescape(found.group(1)) if found else None


def test_the_audit_log_pages_newest_first_and_an_htmx_page_is_the_rows_alone(practice, as_user):
    views_of_aisha(practice, 60)
    owner = as_user(practice.owner)
    first = owner.get("/settings/audit?action=client.viewed").get_data(as_text=True)
    assert first.count("<td>client.viewed</td>") == 25 and "action=client.viewed" in _older(first)
    rest = owner.get(_older(first), htmx=True).get_data(as_text=True)
    assert rest.lstrip().startswith('<div id="audit-rows">') and rest.count("<td>client.viewed</td>") == 25
    assert 'hx-target="#audit-rows"' in first


def test_the_audit_log_and_record_views_run_the_same_queries_for_5_or_120_rows(practice, as_user):
    account = make_portal_account(practice.aisha)
    views_of_aisha(practice, 5)
    counts = []
    for _ in range(2):
        for user, url in ((practice.owner, "/settings/audit"), (account, "/portal/account/views")):
            viewer = as_user(user)
            viewer.get(url)
            with counting_queries() as statements:
                assert viewer.get(url).status_code == 200
            counts.append(len(statements))
        views_of_aisha(practice, 115)
    assert counts[:2] == counts[2:]


def test_the_audit_log_finds_a_client_by_name_and_lists_no_clients_however_many_there_are(practice, as_user):
    from sqlalchemy import insert

    from app import clock
    from app.clients.models import Client

    account = make_portal_account(practice.aisha)
    views_of_aisha(practice, 3)
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    record("client.viewed", workspace_id=practice.workspace.id, client_id=ben.id, actor_user_id=practice.carlos.id)
    record("login", workspace_id=practice.workspace.id, actor_user_id=account.id)
    db.session.commit()
    owner = as_user(practice.owner)
    few = owner.get("/settings/audit").get_data()
    now = clock.now()
    db.session.execute(insert(Client), [{"workspace_id": practice.workspace.id, "first_name": f"Client{n:04d}",
                                         "last_name": "Many", "time_zone": "UTC", "created_at": now}
                                        for n in range(300)])
    db.session.commit()
    many = owner.get("/settings/audit").get_data()
    assert len(many) == len(few) and b"Client0001" not in many
    aisha = owner.get("/settings/audit?client=+rahm+").get_data(as_text=True)
    assert aisha.count("<td>client.viewed</td>") == 3 and "<td>login</td>" in aisha  # her login: done by her
    assert "Ben Okafor" not in aisha and 'value="rahm"' in aisha
    assert owner.get("/settings/audit?client=nobody-by-this-name").get_data(as_text=True).count("<tr>") == 0
    assert owner.get("/settings/audit?client=" + "x" * 101).status_code == 422


def _action_choices(html: str) -> list[str]:
    listed = re.search(r'<select[^>]*name="action"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [unescape(value) for value in re.findall(r'<option[^>]*value="([^"]*)"', listed)]


def test_the_audit_log_offers_the_practices_own_actions_in_the_same_queries_for_2_or_30(practice, outsider, as_user):
    record("staff.invited", workspace_id=outsider.workspace.id, actor_user_id=outsider.owner.id)
    for action in ("login", "client.viewed"):
        record(action, workspace_id=practice.workspace.id, actor_user_id=practice.owner.id)
    db.session.commit()
    owner = as_user(practice.owner)
    owner.get("/settings/audit")
    counts, choices = [], []
    for _ in range(2):
        with counting_queries() as statements:
            page = owner.get("/settings/audit")
        assert page.status_code == 200
        counts.append(len(statements))
        choices.append(_action_choices(page.get_data(as_text=True)))
        for n in range(120):
            record(f"action.{n % 28:02d}", workspace_id=practice.workspace.id, actor_user_id=practice.carlos.id)
        db.session.commit()
    assert counts[0] == counts[1]
    assert choices[0] == ["", "client.viewed", "login"]
    assert choices[1] == ["", *(f"action.{n:02d}" for n in range(28)), "client.viewed", "login"]
