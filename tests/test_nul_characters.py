"""A NUL character is nothing a person types, and PostgreSQL cannot store one in text: such input is a 400."""

from app.db import db
from app.tenancy import Workspace


def test_it_refuses_a_form_with_a_nul_character_and_writes_nothing(practice, as_user):
    owner = as_user(practice.owner)
    before = db.session.get(Workspace, practice.workspace.id).crisis_text
    response = owner.post("/settings/safety", {"crisis_text": "Call 999\x00 now"})
    assert response.status_code == 400
    assert "The request couldn&#39;t be understood" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Workspace, practice.workspace.id).crisis_text == before


def test_it_refuses_a_search_with_a_nul_character(practice, as_user):
    assert as_user(practice.owner).get("/clients?q=ai%00sha").status_code == 400


def test_it_still_takes_ordinary_text(practice, as_user):
    assert as_user(practice.owner).get("/clients?q=aisha").status_code == 200
