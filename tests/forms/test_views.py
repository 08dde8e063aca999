"""Forms on the staff side: sending (once and as check-ins), the e-mail, responses with score, band, flag, trend."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app import clock
from app.audit.models import AuditEvent
from app.db import db
from app.forms.models import FormNotice, FormQuestion, FormRequest, FormSchedule
from app.forms.service import send_due_check_ins, send_form, submit_form
from jobs.forms import send_form_notice
from jobs.sweeps import run_sweeps
from tests.conftest import make_client, run_jobs

NOW = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def form_count() -> int:
    return db.session.scalar(select(func.count(FormRequest.id)))


def submitted(form, answers: dict) -> None:
    from werkzeug.datastructures import MultiDict

    data = MultiDict({f"shown-{key}": "" for key in [f"q{n}" for n in range(1, 10)] + ["difficulty"]})
    for key, value in answers.items():
        data[f"answer-{key}"] = value
    submit_form(form, data)
    db.session.commit()


def test_it_sends_a_form_and_emails_the_client_without_health_data(smtp_server, practice, app, as_user):
    carlos = as_user(practice.carlos)
    page = carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert '<option value="builtin:phq9">PHQ-9</option>' in page
    response = carlos.post(f"/clients/{practice.aisha.id}/forms",
                           {"template": "builtin:phq9", "repeat": "0", "request_key": str(uuid.uuid4())})
    assert response.status_code == 303
    assert "PHQ-9 sent to Aisha." in carlos.get(response.headers["Location"]).get_data(as_text=True)
    form = db.session.scalar(select(FormRequest))
    assert (form.title, form.sent_as, form.sent_by_user_id) == ("PHQ-9", "staff", practice.carlos.id)
    run_jobs(app)
    [message] = smtp_server.to("aisha@example.com")
    assert message["Subject"] == "You have something new from Brunswick Practice"
    body = message.get_body(("plain",)).get_content() + message.get_body(("html",)).get_content()
    assert "http://porch.test/portal/forms" in body
    for secret in ("PHQ", "Aisha", "Rahman", "Carlos", "depress"):
        assert secret not in body and secret not in message["Subject"]
    send_form_notice(form.notice.id)
    assert len(smtp_server.to("aisha@example.com")) == 1


def test_it_makes_one_form_from_a_double_submit(practice, as_user):
    carlos = as_user(practice.carlos)
    data = {"template": "builtin:gad7", "repeat": "0", "request_key": str(uuid.uuid4())}
    carlos.post(f"/clients/{practice.aisha.id}/forms", data)
    carlos.post(f"/clients/{practice.aisha.id}/forms", data)
    assert form_count() == 1


def test_it_refuses_an_unknown_or_foreign_template(practice, outsider, as_user):
    from app.forms.builder import create_template

    elsewhere = create_template(outsider.workspace.id, outsider.owner, "Theirs", str(uuid.uuid4()))
    db.session.add(FormQuestion(template_id=elsewhere.id, position=0, kind="short_text", prompt="?", required=True))
    db.session.commit()
    carlos = as_user(practice.carlos)
    for template in ("builtin:phq10", f"template:{elsewhere.id}", ""):
        response = carlos.post(f"/clients/{practice.aisha.id}/forms",
                               {"template": template, "repeat": "0", "request_key": str(uuid.uuid4())})
        assert response.status_code == 422
        assert "Not a valid choice" in response.get_data(as_text=True)
    response = carlos.post(f"/clients/{practice.aisha.id}/forms",
                           {"template": "builtin:phq9", "repeat": "3", "request_key": str(uuid.uuid4())})
    assert response.status_code == 422
    assert form_count() == 0


def test_it_hides_clients_off_the_roster_and_in_other_workspaces(practice, outsider, as_user):
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.priya])
    bens = send_form(ben, practice.priya, "builtin:phq9")
    db.session.commit()
    carlos = as_user(practice.carlos)
    data = {"template": "builtin:phq9", "repeat": "0", "request_key": str(uuid.uuid4())}
    assert carlos.post(f"/clients/{ben.id}/forms", data).status_code == 404
    assert carlos.post(f"/clients/{outsider.client.id}/forms", data).status_code == 404
    assert carlos.get(f"/clients/{ben.id}/forms/{bens.id}").status_code == 404
    assert carlos.get(f"/clients/{practice.aisha.id}/forms/{bens.id}").status_code == 404
    assert form_count() == 1


def test_it_shows_score_band_and_a_prominent_item_9_flag(practice, as_user):
    form = send_form(practice.aisha, practice.carlos, "builtin:phq9")
    db.session.commit()
    submitted(form, {f"q{n}": "2" for n in range(1, 9)} | {"q9": "1"})
    carlos = as_user(practice.carlos)
    response_page = carlos.get(f"/clients/{practice.aisha.id}/forms/{form.id}").get_data(as_text=True)
    assert "Score 17 / 27 · Moderately severe" in response_page
    assert 'role="alert"><strong>Item 9 is not “Not at all”:</strong>' in response_page
    assert "<dd>Several days</dd>" in response_page
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "form_response.viewed"))
    record = carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert "<strong>PHQ-9 item 9 flagged</strong>" in record
    assert "17 / 27 · Moderately severe" in record


def test_it_draws_a_trend_of_repeated_scores(practice, as_user):
    clock.freeze(NOW)
    for total in (3, 12, 7):
        form = send_form(practice.aisha, practice.carlos, "builtin:gad7")
        db.session.commit()
        submitted(form, {f"q{n}": str(v) for n, v in enumerate([min(3, max(0, total - 3 * i)) for i in range(7)], 1)})
        clock.advance(timedelta(days=7))
    record = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert "<svg" in record and "<polyline" in record
    assert "GAD-7 scores, oldest first: 3, 12, 7 (out of 21)" in record
    assert record.count("<circle") == 3


def test_it_shows_a_single_score_as_text_until_there_is_a_trend(practice, as_user):
    clock.freeze(NOW)
    form = send_form(practice.aisha, practice.carlos, "builtin:phq9")
    db.session.commit()
    submitted(form, {f"q{n}": "1" for n in range(1, 10)} | {"q9": "0"})
    record = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert "<polyline" not in record
    assert 'PHQ-9 score <span class="trend-score">8 / 27</span>' in record


def test_it_keeps_the_draft_private_until_submitted(practice, as_user):
    form = send_form(practice.aisha, practice.carlos, "builtin:phq9")
    db.session.commit()
    page = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}/forms/{form.id}").get_data(as_text=True)
    assert "Not completed yet." in page and "Drafts stay private to the client." in page


def test_it_sends_a_weekly_check_in_once_a_week_whoever_runs_the_sweep(smtp_server, practice, app, as_user):
    clock.freeze(NOW)
    carlos = as_user(practice.carlos)
    carlos.post(f"/clients/{practice.aisha.id}/forms",
                {"template": "builtin:phq9", "repeat": "7", "request_key": str(uuid.uuid4())})
    assert form_count() == 1
    assert "PHQ-9 check-in every 1 week" in carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    clock.advance(timedelta(days=6, hours=23))
    assert send_due_check_ins() == 0
    clock.advance(timedelta(hours=1))
    assert send_due_check_ins() == 1
    assert send_due_check_ins() == 0
    run_sweeps()
    assert form_count() == 2
    assert {f.sent_as for f in db.session.scalars(select(FormRequest))} == {"check_in"}
    run_jobs(app)
    assert len(smtp_server.to("aisha@example.com")) == 2
    clock.advance(timedelta(days=30))  # the sweep was down for weeks: one form, not four
    run_sweeps()
    assert form_count() == 3
    schedule = db.session.scalar(select(FormSchedule))
    carlos = as_user(practice.carlos)  # a month on, the earlier session has expired
    response = carlos.post(f"/clients/{practice.aisha.id}/forms/check-ins/{schedule.id}/stop", {})
    assert response.status_code == 303
    clock.advance(timedelta(days=30))
    run_sweeps()
    assert form_count() == 3


def test_it_sends_no_email_to_a_client_without_an_address(practice, as_user):
    farid = make_client(practice.workspace, "Farid", "Haddad", None, care_team=[practice.carlos])
    send_form(farid, practice.carlos, "builtin:phq9")
    db.session.commit()
    assert db.session.scalar(select(func.count(FormNotice.id))) == 0
    page = as_user(practice.carlos).get(f"/clients/{farid.id}").get_data(as_text=True)
    assert "Form: PHQ-9</strong>: in the portal (no e-mail address on record)" in page


def test_it_names_a_check_in_once_in_the_records_forms_table(practice, as_user):
    for title in ("PHQ-9 weekly check-in", "GAD-7"):
        db.session.add(FormRequest(workspace_id=practice.workspace.id, client_id=practice.aisha.id, title=title,
                                   template_key="builtin:phq9", questions_json="[]", sent_as="check_in",
                                   sent_at=clock.now()))
    db.session.commit()
    page = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert 'PHQ-9 weekly check-in</a> <span class="tag">' not in page
    assert 'GAD-7</a> <span class="tag">check-in</span>' in page
