from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import db


def test_it_lets_an_owner_choose_the_mode_and_audits_it(practice, as_user):
    owner = as_user(practice.owner)
    page = owner.get("/settings/communications").get_data(as_text=True)
    for label in ("Reply only", "Never initiate", "Assigned clients only", "All clients"):
        assert label in page
    response = owner.post("/settings/communications", {"mode": "assigned_only",
                                                       "contact_note": "Call 555 0100."})
    assert response.status_code == 303
    db.session.refresh(practice.workspace)
    assert practice.workspace.communication_mode == "assigned_only"
    assert practice.workspace.client_contact_note == "Call 555 0100."
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.communications_changed"))


def test_it_defaults_to_reply_only(practice):
    assert practice.workspace.communication_mode == "reply_only"


def test_it_refuses_an_unknown_mode(practice, as_user):
    response = as_user(practice.owner).post("/settings/communications", {"mode": "everyone_shouts"})
    assert response.status_code == 422
    assert "Choose one of the four modes." in response.get_data(as_text=True)
    db.session.refresh(practice.workspace)
    assert practice.workspace.communication_mode == "reply_only"


def test_it_forbids_practitioners(practice, as_user):
    carlos = as_user(practice.carlos)
    assert carlos.get("/settings/communications").status_code == 403
    assert carlos.post("/settings/communications", {"mode": "all_clients"}).status_code == 403
