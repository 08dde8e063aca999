"""The audit log and a client's "Who viewed my records" at a practice's size: pages by row, newest first, in the
same number of queries for 5 or 120 rows."""

import re
from html import unescape

from app.audit.trail import record
from app.db import db
from tests.conftest import counting_queries, make_portal_account


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
