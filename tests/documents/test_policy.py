"""Who may open a document: one row per person and kind of document."""

import pytest

from app.db import db
from app.documents.models import Document
from app.documents.policy import may_open
from tests.conftest import make_client, make_portal_account


def document(client, origin: str, unshared: bool = False) -> Document:
    from app import clock

    row = Document(workspace_id=client.workspace_id, client_id=client.id, origin=origin, kind="other", title="t",
                   file_name="t.pdf", content_type="application/pdf", size=1, storage_key=f"{origin}{unshared}",
                   created_at=clock.now(), unshared_at=clock.now() if unshared else None)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.mark.parametrize(("who", "origin", "unshared", "allowed"), [
    ("owner", "practice", False, True),
    ("admin", "client", False, True),
    ("carlos", "practice", True, True),
    ("carlos", "client", False, True),
    ("priya", "practice", False, False),
    ("priya", "client", False, False),
    ("aisha", "practice", False, True),
    ("aisha", "practice", True, False),
    ("aisha", "client", False, True),
    ("ben", "practice", False, False),
    ("ben", "client", False, False),
    ("outsider", "practice", False, False),
    ("outsider", "client", False, False),
])
def test_it_lets_only_the_right_people_open_a_document(practice, outsider, who, origin, unshared, allowed):
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    people = {"owner": practice.owner, "admin": practice.admin, "carlos": practice.carlos, "priya": practice.priya,
              "aisha": make_portal_account(practice.aisha), "ben": make_portal_account(ben),
              "outsider": outsider.owner}
    assert may_open(people[who], document(practice.aisha, origin, unshared)) is allowed
