import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import db
from app.forms.models import FormTemplate
from app.forms.service import intake_template_key
from app.getting_started.patterns import PATTERNS


def changes_shown(page: str) -> list[tuple[str, str, str]]:
    return re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", page)


def test_it_offers_the_five_patterns(practice, as_user):
    page = as_user(practice.owner).get("/settings/patterns").get_data(as_text=True)
    for name in ("Therapist", "Physio", "GP", "Coach", "Group practice"):
        assert f">{name}</a>:" in page


def test_it_shows_exactly_what_a_pattern_changes_before_applying_it(practice, as_user):
    owner = as_user(practice.owner)
    page = owner.get("/settings/patterns?pattern=group").get_data(as_text=True)
    assert changes_shown(page) == [
        ("How clients may write (Communications)", "Reply only", "Assigned clients only"),
        ("Automate portal invites (Workflows)", "Off", "On"),
    ]
    db.session.refresh(practice.workspace)
    assert practice.workspace.communication_mode == "reply_only"  # looking changed nothing


def test_it_applies_a_pattern_in_one_step_and_audits_it(practice, as_user):
    owner = as_user(practice.owner)
    response = owner.post("/settings/patterns", {"pattern": "therapist"})
    assert response.status_code == 303
    workspace = practice.workspace
    db.session.refresh(workspace)
    assert (workspace.communication_mode, workspace.automate_portal_invites) == ("assigned_only", True)
    assert intake_template_key(workspace.id) == "builtin:phq9"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.pattern_applied.therapist"))
    assert "The Therapist pattern is applied." in owner.get("/settings/patterns").get_data(as_text=True)


def test_it_undoes_a_pattern_by_applying_another(practice, as_user):
    owner = as_user(practice.owner)
    owner.post("/settings/patterns", {"pattern": "coach"})
    page = owner.get("/settings/patterns?pattern=gp").get_data(as_text=True)
    assert changes_shown(page) == [
        ("How clients may write (Communications)", "Assigned clients only", "Reply only"),
        ("Automate portal invites (Workflows)", "On", "Off"),
        ("Send intake form on client creation (Workflows)", "Coaching intake", "Don&#39;t send a form"),
    ]
    owner.post("/settings/patterns", {"pattern": "gp"})
    workspace = practice.workspace
    db.session.refresh(workspace)
    assert (workspace.communication_mode, workspace.automate_portal_invites) == ("reply_only", False)
    assert intake_template_key(workspace.id) is None


def test_it_makes_the_coaching_intake_form_once(practice, as_user):
    owner = as_user(practice.owner)
    preview = owner.get("/settings/patterns?pattern=coach").get_data(as_text=True)
    assert "Coaching intake (a new form of 3 questions; edit it under Forms)" in preview
    for pattern in ("coach", "gp", "coach"):
        owner.post("/settings/patterns", {"pattern": pattern})
    [template] = db.session.scalars(select(FormTemplate).where(FormTemplate.title == "Coaching intake")).all()
    assert len(template.questions) == 3
    assert intake_template_key(practice.workspace.id) == f"template:{template.id}"
    assert "already match this pattern" in owner.get("/settings/patterns?pattern=coach").get_data(as_text=True)


def test_it_answers_htmx_with_the_preview_alone(practice, as_user):
    fragment = as_user(practice.owner).get("/settings/patterns?pattern=gp", htmx=True).get_data(as_text=True)
    assert fragment.startswith('<section id="preview"') and "<html" not in fragment


@pytest.mark.parametrize("pattern", ["", "dentist"])
def test_it_refuses_an_unknown_pattern(practice, as_user, pattern):
    owner = as_user(practice.owner)
    response = owner.post("/settings/patterns", {"pattern": pattern})
    assert response.status_code == 422
    assert "Choose one of the five patterns." in response.get_data(as_text=True)
    assert owner.get("/settings/patterns?pattern=dentist").status_code == 404


def test_it_forbids_practitioners(practice, as_user):
    carlos = as_user(practice.carlos)
    assert carlos.get("/settings/patterns").status_code == 403
    assert carlos.post("/settings/patterns", {"pattern": "gp"}).status_code == 403


def test_it_names_every_pattern_of_the_product():
    assert [p.name for p in PATTERNS.values()] == ["Therapist", "Physio", "GP", "Coach", "Group practice"]
