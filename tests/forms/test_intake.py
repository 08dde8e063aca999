"""Workflows → "Send intake form on client creation", beside automatic invites: the coach pattern."""

import uuid

from sqlalchemy import select

from app.db import db
from app.forms.models import FormRequest, IntakeSetting
from tests.conftest import run_jobs


def new_client(email="noor@example.com") -> dict:
    return {"first_name": "Noor", "last_name": "Haddad", "email": email, "time_zone": "Europe/London",
            "request_key": str(uuid.uuid4())}


def test_it_lets_an_owner_choose_the_intake_form(practice, as_user):
    owner = as_user(practice.owner)
    page = owner.get("/settings/workflows").get_data(as_text=True)
    assert "Send intake form on client creation" in page
    assert '<option selected value="">Don&#39;t send a form</option>' in page
    assert owner.post("/settings/workflows", {"intake_form": "builtin:gad7"}).status_code == 303
    assert db.session.get(IntakeSetting, practice.workspace.id).template_key == "builtin:gad7"
    assert owner.post("/settings/workflows", {"intake_form": "builtin:nope"}).status_code == 422
    assert db.session.get(IntakeSetting, practice.workspace.id).template_key == "builtin:gad7"
    owner.post("/settings/workflows", {"intake_form": ""})
    db.session.expire_all()
    assert db.session.get(IntakeSetting, practice.workspace.id).template_key is None


def test_it_invites_and_sends_the_intake_form_the_moment_the_client_exists(smtp_server, practice, app, as_user):
    owner = as_user(practice.owner)
    owner.post("/settings/workflows", {"automate_portal_invites": "y", "intake_form": "builtin:phq9"})
    response = owner.post("/clients/new", new_client())
    assert response.status_code == 303
    form = db.session.scalar(select(FormRequest))
    assert (form.title, form.sent_as) == ("PHQ-9", "intake")
    run_jobs(app)
    mails = smtp_server.to("noor@example.com")
    assert sorted(m["Subject"] for m in mails) == ["You have something new from Brunswick Practice",
                                                   "Your Brunswick Practice portal invite"]
    record = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "<h2 id=\"activity-title\">Activity</h2>" in record
    assert "<strong>Portal invite</strong>: e-mailed" in record
    assert "<strong>Intake form (automatic): PHQ-9</strong>: e-mailed" in record


def test_it_sends_one_intake_form_for_a_double_submitted_client(practice, as_user):
    owner = as_user(practice.owner)
    owner.post("/settings/workflows", {"intake_form": "builtin:gad7"})
    data = new_client()
    owner.post("/clients/new", data)
    owner.post("/clients/new", data)
    assert len(db.session.scalars(select(FormRequest)).all()) == 1


def test_it_sends_nothing_when_no_intake_form_is_chosen(practice, as_user):
    as_user(practice.owner).post("/clients/new", new_client())
    assert db.session.scalars(select(FormRequest)).all() == []
