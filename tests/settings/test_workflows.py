from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import db


def test_it_lets_an_owner_turn_on_automatic_invites(practice, as_user):
    owner = as_user(practice.owner)
    assert "Automate portal invites" in owner.get("/settings/workflows").get_data(as_text=True)
    response = owner.post("/settings/workflows", {"automate_portal_invites": "y"})
    assert response.status_code == 303
    db.session.refresh(practice.workspace)
    assert practice.workspace.automate_portal_invites is True
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "settings.workflows_changed"))
    owner.post("/settings/workflows", {})
    db.session.refresh(practice.workspace)
    assert practice.workspace.automate_portal_invites is False


def test_it_lets_an_admin_change_workflows(practice, as_user):
    assert as_user(practice.admin).get("/settings/workflows").status_code == 200


def test_it_forbids_a_practitioner(practice, as_user):
    carlos = as_user(practice.carlos)
    assert carlos.get("/settings/workflows").status_code == 403
    assert carlos.post("/settings/workflows", {"automate_portal_invites": "y"}).status_code == 403
    db.session.refresh(practice.workspace)
    assert practice.workspace.automate_portal_invites is False
    assert "Settings" not in carlos.get("/clients").get_data(as_text=True)
