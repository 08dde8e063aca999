"""Answers that need attention: PHQ-9 item 9 and choices marked "alert when chosen" raise one alert each, e-mail the
client's staff once (without health data), mark the client until acknowledged, and show the client the crisis text."""

import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db import db
from app.forms.models import FormAlert, FormAlertEmail, FormRequest, FormTemplate
from app.forms.service import send_form
from app.tenancy import DEFAULT_CRISIS_TEXT
from jobs.alerts import send_alert_email
from jobs.sweeps import run_sweeps
from tests.conftest import make_client, make_portal_account, run_jobs
from tests.forms.test_portal import phq9_post

SUBJECT = "A form answer from one of your clients needs your attention"
SEVERAL_DAYS = "1"


@pytest.fixture
def phq9(practice):
    form = send_form(practice.aisha, practice.carlos, "builtin:phq9")
    db.session.commit()
    return form


@pytest.fixture
def aisha(practice, as_user):
    make_portal_account(practice.aisha)
    return as_user(practice.aisha.account)


def send_phq9(portal, form, item9: str):
    answers = {f"q{n}": "0" for n in range(1, 9)} | {"q9": item9}
    return portal.post(f"/portal/forms/{form.id}", phq9_post(answers, action="send"))


def alerts() -> list[FormAlert]:
    db.session.expire_all()
    return list(db.session.scalars(select(FormAlert).order_by(FormAlert.id)))


def alert_emails() -> int:
    return db.session.scalar(select(func.count(FormAlertEmail.id)))


def mail_text(message) -> str:
    return (message["Subject"] + message.get_body(("plain",)).get_content()
            + message.get_body(("html",)).get_content())


# --- raising an alert ---------------------------------------------------------------------------

def test_it_alerts_carlos_once_without_health_data_when_item_9_is_several_days(smtp_server, practice, phq9, aisha,
                                                                                app):
    response = send_phq9(aisha, phq9, SEVERAL_DAYS)
    assert response.status_code == 303
    [alert] = alerts()
    assert (alert.client_id, alert.form_request_id, alert.question_key) == (practice.aisha.id, phq9.id, "q9")
    assert alert.acknowledged_at is None
    run_jobs(app)
    [message] = smtp_server.to("carlos@brunswick.example")
    assert message["Subject"] == SUBJECT
    text = mail_text(message)
    assert f"http://porch.test/clients/{practice.aisha.id}#needs-attention" in text
    for secret in ("Aisha", "Rahman", "PHQ", "Several days", "better off dead", "hurting", "9"):
        assert secret not in text.replace(f"/clients/{practice.aisha.id}", "/clients/ID")
    assert smtp_server.messages == [message]  # nobody else: the owner and admin are not on her team


def test_it_raises_nothing_when_item_9_is_not_at_all(smtp_server, practice, phq9, aisha, app):
    assert send_phq9(aisha, phq9, "0").status_code == 303
    run_jobs(app)
    assert alerts() == [] and alert_emails() == 0
    assert smtp_server.messages == []


def test_it_raises_one_alert_from_a_double_submit(practice, phq9, aisha, app):
    assert send_phq9(aisha, phq9, "2").status_code == 303
    assert send_phq9(aisha, phq9, "2").status_code == 409
    assert len(alerts()) == 1 and alert_emails() == 1


def test_it_sends_each_alert_email_once_however_often_the_job_runs(smtp_server, practice, phq9, aisha, app):
    send_phq9(aisha, phq9, "3")
    email_id = db.session.scalar(select(FormAlertEmail.id))
    run_jobs(app)
    send_alert_email(email_id)
    run_sweeps()
    assert len(smtp_server.to("carlos@brunswick.example")) == 1


def test_it_sends_the_email_of_a_lost_job_from_the_sweep(smtp_server, practice, phq9, aisha, app):
    send_phq9(aisha, phq9, SEVERAL_DAYS)
    app.extensions["porch.queue"]._heap.clear()
    assert smtp_server.messages == []
    run_sweeps()
    run_sweeps()
    [message] = smtp_server.to("carlos@brunswick.example")
    assert message["Subject"] == SUBJECT


def test_it_tells_the_owners_and_admins_when_no_one_is_assigned(smtp_server, practice, app, as_user):
    nora = make_client(practice.workspace, "Nora", "Lindqvist", "nora@example.com")
    make_portal_account(nora)
    form = send_form(nora, practice.owner, "builtin:phq9")
    db.session.commit()
    send_phq9(as_user(nora.account), form, SEVERAL_DAYS)
    run_jobs(app)
    assert sorted(m["To"] for m in smtp_server.messages) == ["admin@brunswick.example", "owner@brunswick.example"]


def test_it_alerts_on_a_custom_choice_marked_alert_when_chosen(smtp_server, practice, aisha, as_user, app):
    carlos = as_user(practice.carlos)
    template = carlos.post("/forms/new", {"title": "Mood check", "request_key": "6f1c2a4e-8d3b-4a57-9c1e-2b7d5e6f8a90"})
    template_id = int(template.headers["Location"].rsplit("/", 1)[1])
    response = carlos.post(f"/forms/{template_id}/questions", {
        "prompt": "How safe do you feel at home?", "kind": "single_choice", "required": "y",
        "options": "Safe\nSometimes unsafe\nNot safe", "alert_options": "Not safe"})
    assert response.status_code == 303
    builder = carlos.get(f"/forms/{template_id}").get_data(as_text=True)
    assert "<strong>Alert when chosen:</strong> Not safe" in builder
    question = db.session.get(FormTemplate, template_id).questions[0]
    key = f"c{question.id}"

    safe, unsafe = (send_form(practice.aisha, practice.carlos, f"template:{template_id}") for _ in range(2))
    db.session.commit()
    assert aisha.post(f"/portal/forms/{safe.id}", {f"shown-{key}": "", f"answer-{key}": "1",
                                                   "action": "send"}).status_code == 303
    assert alerts() == []
    response = aisha.post(f"/portal/forms/{unsafe.id}", {f"shown-{key}": "", f"answer-{key}": "3", "action": "send"})
    assert response.headers["Location"] == f"/portal/forms/{unsafe.id}/sent"
    [alert] = alerts()
    assert (alert.form_request_id, alert.question_key) == (unsafe.id, key)
    run_jobs(app)
    [message] = smtp_server.to("carlos@brunswick.example")
    assert "Mood check" not in mail_text(message) and "Not safe" not in mail_text(message)


def test_it_refuses_an_alert_answer_that_is_not_one_of_the_choices(practice, as_user):
    carlos = as_user(practice.carlos)
    template = carlos.post("/forms/new", {"title": "Mood check", "request_key": "0b8f3c2d-4e5a-4b6c-8d7e-9f0a1b2c3d4e"})
    template_id = int(template.headers["Location"].rsplit("/", 1)[1])
    response = carlos.post(f"/forms/{template_id}/questions", {
        "prompt": "How safe do you feel?", "kind": "single_choice", "options": "Safe\nNot safe",
        "alert_options": "Unsafe"})
    assert response.status_code == 422
    assert "“Unsafe” is not one of the answers above." in response.get_data(as_text=True)
    response = carlos.post(f"/forms/{template_id}/questions", {
        "prompt": "How did you sleep?", "kind": "short_text", "alert_options": "badly"})
    assert response.status_code == 422
    assert "Only single and multiple choice answers can raise an alert" in response.get_data(as_text=True)
    assert db.session.get(FormTemplate, template_id).questions == []


# --- markers and acknowledging ------------------------------------------------------------------

@pytest.fixture
def raised(practice, phq9, aisha) -> FormAlert:
    send_phq9(aisha, phq9, SEVERAL_DAYS)
    [alert] = alerts()
    return alert


def test_it_marks_the_client_on_the_list_home_and_record_for_the_staff_who_may_see_her(practice, raised, as_user):
    carlos = as_user(practice.carlos)
    home = carlos.get("/clients").get_data(as_text=True)
    row = re.search(rf"<tr>\s*<td><a href=\"/clients/{practice.aisha.id}\">Aisha Rahman</a>(.*?)</td>", home)
    assert row and "Needs attention" in row.group(1)
    panel = home.split('id="needs-attention"')[1].split("</section>")[0]
    assert "Form answers to follow up" in panel and "Aisha Rahman" in panel
    assert "Several days" not in home  # the answer is shown on the record only
    record = carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    attention = record.split('id="needs-attention"')[1].split("</section>")[0]
    assert "Needs attention" in attention
    assert "<dt>Thoughts that you would be better off dead or of hurting yourself in some way</dt>" in attention
    assert "<dd>Several days</dd>" in attention
    assert "Acknowledge" in attention

    priya = as_user(practice.priya).get("/clients").get_data(as_text=True)  # not on Aisha's team
    assert "Needs attention" not in priya
    assert "Aisha Rahman" in as_user(practice.owner).get("/clients").get_data(as_text=True).split(
        'id="needs-attention"')[1]


def test_it_clears_the_markers_once_acknowledged_and_keeps_who_when_and_the_note(practice, raised, as_user):
    carlos = as_user(practice.carlos)
    response = carlos.post(f"/clients/{practice.aisha.id}/alerts/{raised.id}/acknowledge",
                           {f"alert-{raised.id}-note": "Called her; safety plan agreed."})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/clients/{practice.aisha.id}#needs-attention"
    [alert] = alerts()
    assert alert.acknowledged_by_user_id == practice.carlos.id and alert.acknowledged_at is not None
    assert alert.acknowledgement_note == "Called her; safety plan agreed."
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "alert.acknowledged"))
    assert (event.actor_user_id, event.client_id) == (practice.carlos.id, practice.aisha.id)

    record = carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert "Acknowledged. The “Needs attention” marker is gone." in record
    assert "Needs attention" not in carlos.get("/clients").get_data(as_text=True)
    history = record.split('id="needs-attention"')[1].split("</section>")[0]
    assert "Needs attention" not in history and "Acknowledge<" not in history
    assert "Acknowledged by Carlos Diaz on" in history and "“Called her; safety plan agreed.”" in history

    again = carlos.post(f"/clients/{practice.aisha.id}/alerts/{raised.id}/acknowledge", {})
    assert again.status_code == 303
    assert "Carlos Diaz acknowledged this answer already." in carlos.get(again.headers["Location"]).get_data(
        as_text=True)
    assert alerts()[0].acknowledgement_note == "Called her; safety plan agreed."


def test_it_refuses_a_note_too_long_and_keeps_the_alert_open(practice, raised, as_user):
    carlos = as_user(practice.carlos)
    response = carlos.post(f"/clients/{practice.aisha.id}/alerts/{raised.id}/acknowledge",
                           {f"alert-{raised.id}-note": "x" * 1001})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Use at most 1,000 characters." in page and 'aria-invalid="true"' in page
    assert alerts()[0].acknowledged_at is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "alert.acknowledged")) is None


def test_it_answers_404_for_another_practice_or_client_and_400_without_csrf(practice, outsider, raised, as_user):
    boss = as_user(outsider.owner)
    assert boss.post(f"/clients/{practice.aisha.id}/alerts/{raised.id}/acknowledge", {}).status_code == 404
    assert boss.post(f"/clients/{outsider.client.id}/alerts/{raised.id}/acknowledge", {}).status_code == 404
    assert as_user(practice.priya).post(f"/clients/{practice.aisha.id}/alerts/{raised.id}/acknowledge",
                                        {}).status_code == 404
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    carlos = as_user(practice.carlos)
    assert carlos.post(f"/clients/{ben.id}/alerts/{raised.id}/acknowledge", {}).status_code == 404
    assert carlos.post(f"/clients/{practice.aisha.id}/alerts/{raised.id}/acknowledge", {},
                       csrf=False).status_code == 400
    assert alerts()[0].acknowledged_at is None


def test_it_lists_every_acknowledged_answer_a_page_at_a_time(practice, aisha, as_user):
    carlos = as_user(practice.carlos)
    for _ in range(22):
        form = send_form(practice.aisha, practice.carlos, "builtin:phq9")
        db.session.commit()
        send_phq9(aisha, form, SEVERAL_DAYS)
    for alert in alerts():
        carlos.post(f"/clients/{practice.aisha.id}/alerts/{alert.id}/acknowledge", {})
    record = carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert record.count("Acknowledged by Carlos Diaz") == 5
    assert f'href="/clients/{practice.aisha.id}/alerts">All acknowledged answers</a>' in record
    first = carlos.get(f"/clients/{practice.aisha.id}/alerts").get_data(as_text=True)
    assert first.count("Acknowledged by Carlos Diaz") == 20 and "Next page" in first
    second = carlos.get(f"/clients/{practice.aisha.id}/alerts?page=2").get_data(as_text=True)
    assert second.count("Acknowledged by Carlos Diaz") == 2 and "Previous page" in second


# --- what the client sees -----------------------------------------------------------------------

def test_it_shows_the_crisis_text_after_sending_and_on_the_portal_home_while_open(practice, phq9, aisha, as_user):
    response = send_phq9(aisha, phq9, SEVERAL_DAYS)
    assert response.headers["Location"] == f"/portal/forms/{phq9.id}/sent"
    thanks = aisha.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you. PHQ-9 was sent to Brunswick Practice." in thanks
    assert "If you need help now" in thanks and "call your local emergency number now" in thanks
    assert "Several days" not in thanks and "better off dead" not in thanks  # never beside the answer
    assert "If you need help now" not in aisha.get(f"/portal/forms/{phq9.id}").get_data(as_text=True)
    home = aisha.get("/portal").get_data(as_text=True)
    assert "If you need help now" in home and "(911 in the US, 999 in the UK, 112 in the EU)" in home

    [alert] = alerts()
    as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/alerts/{alert.id}/acknowledge", {})
    assert "If you need help now" not in aisha.get("/portal").get_data(as_text=True)
    assert "If you need help now" not in aisha.get(f"/portal/forms/{phq9.id}/sent").get_data(as_text=True)


def test_it_keeps_the_crisis_text_off_a_form_without_risk_answers(practice, phq9, aisha):
    response = send_phq9(aisha, phq9, "0")
    assert response.headers["Location"] == f"/portal/forms/{phq9.id}/sent"  # the same address: it tells nothing
    assert "If you need help now" not in aisha.get(response.headers["Location"]).get_data(as_text=True)
    assert "If you need help now" not in aisha.get("/portal").get_data(as_text=True)


def test_it_keeps_the_crisis_text_out_of_every_email(smtp_server, practice, phq9, aisha, app):
    send_phq9(aisha, phq9, SEVERAL_DAYS)
    run_jobs(app)
    assert smtp_server.messages
    for message in smtp_server.messages:
        assert "emergency" not in mail_text(message) and "help now" not in mail_text(message)


def test_it_lets_owners_write_the_crisis_text_and_refuses_a_blank_or_long_one(practice, phq9, aisha, as_user):
    owner = as_user(practice.owner)
    page = owner.get("/settings/safety").get_data(as_text=True)
    assert "<h1>Safety</h1>" in page and DEFAULT_CRISIS_TEXT.split("(")[0] in page
    blank = owner.post("/settings/safety", {"crisis_text": "   "})
    assert blank.status_code == 422
    assert "Write what a client should do in a crisis" in blank.get_data(as_text=True)
    long = owner.post("/settings/safety", {"crisis_text": "x" * 1001})
    assert long.status_code == 422 and "Use at most 1,000 characters." in long.get_data(as_text=True)
    db.session.refresh(practice.workspace)
    assert practice.workspace.crisis_text is None
    saved = owner.post("/settings/safety", {"crisis_text": "Call 000 now.\r\nLifeline: 13 11 14, any time."})
    assert saved.status_code == 303
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.crisis_text_changed"))
    assert as_user(practice.carlos).get("/settings/safety").status_code == 403
    assert as_user(practice.carlos).post("/settings/safety", {"crisis_text": "x"}).status_code == 403

    send_phq9(aisha, phq9, SEVERAL_DAYS)
    thanks = aisha.get(f"/portal/forms/{phq9.id}/sent").get_data(as_text=True)
    assert "<p>Call 000 now.</p>" in thanks and "<p>Lifeline: 13 11 14, any time.</p>" in thanks
    assert "911" not in thanks


def test_it_saves_no_alert_when_the_submission_is_refused(practice, phq9, aisha):
    answers = {"q9": SEVERAL_DAYS}  # the other eight items missing
    response = aisha.post(f"/portal/forms/{phq9.id}", phq9_post(answers, action="send"))
    assert response.status_code == 422
    assert alerts() == [] and alert_emails() == 0
    assert db.session.get(FormRequest, phq9.id).submitted_at is None
