"""Custom forms: staff build them question by question, in the order they choose."""

import uuid

from sqlalchemy import func, select

from app.db import db
from app.forms.builder import create_template
from app.forms.models import FormQuestion, FormTemplate
from app.forms.service import send_form


def question(prompt, kind="short_text", **more):
    return {"prompt": prompt, "kind": kind, "required": "y", **more}


def test_it_creates_a_form_and_adds_questions(practice, as_user):
    carlos = as_user(practice.carlos)
    assert "<h1>Forms</h1>" in carlos.get("/forms").get_data(as_text=True)
    response = carlos.post("/forms/new", {"title": "New client intake", "request_key": str(uuid.uuid4())})
    assert response.status_code == 303
    template = db.session.scalar(select(FormTemplate))
    assert response.headers["Location"] == f"/forms/{template.id}"
    assert carlos.post(f"/forms/{template.id}/questions", question("What brings you here?", "long_text")
                       ).status_code == 303
    assert carlos.post(f"/forms/{template.id}/questions",
                       question("How do you sleep?", "scale", scale_min="0", scale_max="10", min_label="Badly",
                                max_label="Well")).status_code == 303
    page = carlos.get(f"/forms/{template.id}").get_data(as_text=True)
    assert "What brings you here?" in page and "0 (Badly) to 10 (Well)" in page
    record = carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert f'<option value="template:{template.id}">New client intake</option>' in record


def test_it_reorders_and_removes_questions(practice, as_user):
    template = create_template(practice.workspace.id, practice.carlos, "Check-in", str(uuid.uuid4()))
    db.session.commit()
    carlos = as_user(practice.carlos)
    for prompt in ("First", "Second", "Third"):
        carlos.post(f"/forms/{template.id}/questions", question(prompt))
    first, second, third = template.questions
    assert carlos.post(f"/forms/{template.id}/questions/{third.id}/move", {"step": "-1"}).status_code == 303
    db.session.refresh(template)
    assert [q.prompt for q in template.questions] == ["First", "Third", "Second"]
    carlos.post(f"/forms/{template.id}/questions/{first.id}/move", {"step": "-1"})  # already first: stays
    db.session.refresh(template)
    assert [q.prompt for q in template.questions] == ["First", "Third", "Second"]
    assert carlos.post(f"/forms/{template.id}/questions/{first.id}/move", {"step": "5"}).status_code == 400
    assert carlos.post(f"/forms/{template.id}/questions/{first.id}/remove", {}).status_code == 303
    db.session.refresh(template)
    assert [(q.prompt, q.position) for q in template.questions] == [("Third", 0), ("Second", 1)]


def test_it_keeps_sent_forms_as_they_were_when_the_template_changes(practice, as_user):
    template = create_template(practice.workspace.id, practice.carlos, "Check-in", str(uuid.uuid4()))
    db.session.commit()
    carlos = as_user(practice.carlos)
    carlos.post(f"/forms/{template.id}/questions", question("Original question"))
    sent = send_form(practice.aisha, practice.carlos, f"template:{template.id}")
    db.session.commit()
    carlos.post(f"/forms/{template.id}/questions/{template.questions[0].id}/remove", {})
    assert "Original question" in sent.questions_json


def test_it_explains_what_is_wrong_with_a_question(practice, as_user):
    template = create_template(practice.workspace.id, practice.carlos, "Check-in", str(uuid.uuid4()))
    db.session.commit()
    carlos = as_user(practice.carlos)
    cases = [
        (question("", "short_text"), "Write the question."),
        (question("Pick", "single_choice", options="Only one"), "Give at least two answers, one per line."),
        (question("Pick", "multiple_choice", options="A\nA"), "Each answer may appear only once."),
        (question("Rate", "scale", scale_min="5", scale_max="5"), "The top of the scale must be above the bottom."),
        (question("Rate", "scale", scale_min="0", scale_max="50"), "A scale may have at most 21 steps."),
        (question("Odd", "signature"), "Not a valid choice"),
        (question("x" * 501), "Use at most 500 characters."),
    ]
    for data, message in cases:
        response = carlos.post(f"/forms/{template.id}/questions", data)
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(FormQuestion.id))) == 0
    assert carlos.post("/forms/new", {"title": "", "request_key": str(uuid.uuid4())}).status_code == 422


def test_it_hides_other_workspaces_forms(practice, outsider, as_user):
    theirs = create_template(outsider.workspace.id, outsider.owner, "Theirs", str(uuid.uuid4()))
    db.session.commit()
    carlos = as_user(practice.carlos)
    assert carlos.get(f"/forms/{theirs.id}").status_code == 404
    assert carlos.post(f"/forms/{theirs.id}/questions", question("Sneaky")).status_code == 404
    assert "Theirs" not in carlos.get("/forms").get_data(as_text=True)


def test_it_keeps_clients_out(practice, as_user):
    from tests.conftest import make_portal_account

    make_portal_account(practice.aisha)
    assert as_user(practice.aisha.account).get("/forms").status_code == 404
