"""Answers that need attention: a PHQ-9 item 9 above "Not at all", or a choice the practice marked "alert when
chosen". Each raises an alert with the submission, e-mails the client's staff (without health data) and marks the
client until a staff member acknowledges it."""

import json
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import selectinload

from app import clock
from app.audit.trail import record
from app.auth.models import User
from app.auth.policy import PRACTICE_ADMIN_ROLES
from app.clients.models import Client
from app.clients.policy import visible_clients
from app.db import db, prepared
from app.forms import answers as kinds
from app.forms.models import FormAlert, FormAlertEmail, FormAnswer, FormRequest
from app.forms.questionnaires import PHQ9, SELF_HARM_ITEM
from app.queue import enqueue

PER_PAGE = 20
ACKNOWLEDGED_ON_RECORD = 5
LAST_PAGE = 100_000


def is_risk_answer(questionnaire, question: dict, value) -> bool:
    """PHQ-9 item 9 answered above "Not at all"; in any other form, a chosen option marked "alert when chosen"."""
    if value is None:
        return False
    if questionnaire is PHQ9 and question["key"] == SELF_HARM_ITEM:
        return value != "0"
    alerting = {option["value"] for option in question.get("options", []) if option.get("alert")}
    return any(kinds.is_chosen(value, option) for option in alerting)


def raise_alerts(form: FormRequest, question_keys: list[str]) -> list[FormAlert]:
    """One alert per risk answer of a form being submitted, and one owed e-mail per staff member to tell; in the
    caller's transaction, so that the submission and its alerts are saved together or not at all."""
    if not question_keys:
        return []
    client = db.session.get(Client, form.client_id)
    now = clock.now()
    alerts = [FormAlert(workspace_id=form.workspace_id, client_id=form.client_id, form_request_id=form.id,
                        question_key=key, raised_at=now) for key in question_keys]
    db.session.add_all(alerts)
    db.session.flush()
    for alert in alerts:
        record("alert.raised", workspace_id=form.workspace_id, client_id=form.client_id)
        for user in staff_to_tell(client):
            email = FormAlertEmail(workspace_id=form.workspace_id, alert_id=alert.id, user_id=user.id,
                                   email=user.email, created_at=now)
            db.session.add(email)
            db.session.flush()
            enqueue("jobs.alerts.send_alert_email", email.id)
    return alerts


def staff_to_tell(client: Client) -> list[User]:
    """The client's care team; the practice's owners and admins when no one is assigned (or no one still works)."""
    team = [user for user in client.care_team if user.is_staff and user.is_active]
    if team:
        return team
    return list(db.session.scalars(select(User).where(
        User.workspace_id == client.workspace_id, User.client_id.is_(None), User.disabled_at.is_(None),
        User.role.in_(PRACTICE_ADMIN_ROLES)).order_by(User.name)))


class AlreadyAcknowledged(Exception):
    """Someone acknowledged this alert a moment ago."""


def acknowledge(alert: FormAlert, by: User, note: str | None) -> None:
    """Close the alert, once: a second acknowledgement (another colleague, a double click) changes nothing."""
    closed = db.session.execute(update(FormAlert).where(
        FormAlert.id == alert.id, FormAlert.acknowledged_at.is_(None),
    ).values(acknowledged_at=clock.now(), acknowledged_by_user_id=by.id, acknowledgement_note=note or None)).rowcount
    if not closed:
        raise AlreadyAcknowledged()
    db.session.refresh(alert)
    record("alert.acknowledged", workspace_id=alert.workspace_id, client_id=alert.client_id, actor_user_id=by.id)


# --- what staff see -----------------------------------------------------------------------------

@dataclass(frozen=True)
class AlertShown:
    """An alert as the client record shows it: the question and the answer (staff only, never in an e-mail)."""

    alert: FormAlert
    prompt: str
    answer: str


def as_shown(alert: FormAlert) -> AlertShown:
    return all_shown([alert])[0]


def all_shown(alerts: list[FormAlert]) -> list[AlertShown]:
    """`alerts` as shown, their answers read in one query (their forms loaded with them, see _with_forms)."""
    if not alerts:
        return []
    stored = {(form_id, key): value for form_id, key, value in db.session.execute(
        select(FormAnswer.form_request_id, FormAnswer.question_key, FormAnswer.value)
        .where(FormAnswer.form_request_id.in_({a.form_request_id for a in alerts}),
               FormAnswer.question_key.in_({a.question_key for a in alerts})))}
    shown = []
    for alert in alerts:
        form = alert.form_request
        questions = {q["key"]: q for q in (json.loads(form.questions_json) if form.questions_json else [])}
        question = questions.get(alert.question_key, {"key": alert.question_key, "kind": "short_text", "prompt": ""})
        value = stored.get((alert.form_request_id, alert.question_key))
        shown.append(AlertShown(alert, question["prompt"], kinds.as_text(question, kinds.decode(value)
                                                                         if value else None)))
    return shown


@dataclass(frozen=True)
class AlertsPage:
    items: list
    number: int
    has_next: bool


def _page(query, number: int) -> AlertsPage:
    number = min(max(number, 1), LAST_PAGE)
    rows = list(db.session.scalars(query.limit(PER_PAGE + 1).offset((number - 1) * PER_PAGE)))
    return AlertsPage(rows[:PER_PAGE], number, len(rows) > PER_PAGE)


def open_alerts_seen_by(user: User, page: int = 1) -> AlertsPage:
    """The open alerts of the clients `user` may see, oldest first (the longest waiting on top)."""
    clients = visible_clients(user).with_only_columns(Client.id)
    return _page(select(FormAlert).where(FormAlert.acknowledged_at.is_(None), FormAlert.client_id.in_(clients))
                 .options(selectinload(FormAlert.client)).order_by(FormAlert.raised_at, FormAlert.id), page)


def clients_needing_attention(client_ids: list[int]) -> set[int]:
    if not client_ids:
        return set()
    return set(db.session.scalars(select(FormAlert.client_id).where(
        FormAlert.client_id.in_(client_ids), FormAlert.acknowledged_at.is_(None)).distinct()))


def open_alerts_of(client: Client) -> AlertsPage:
    """The client's open alerts, the longest waiting first; the next ones show as these are acknowledged."""
    listed = _page(select(FormAlert).where(FormAlert.client_id == client.id, FormAlert.acknowledged_at.is_(None))
                   .options(selectinload(FormAlert.form_request)).order_by(FormAlert.raised_at, FormAlert.id), 1)
    return AlertsPage(all_shown(listed.items), listed.number, listed.has_next)


def acknowledged_alerts_of(client: Client, page: int = 1) -> AlertsPage:
    listed = _page(select(FormAlert).where(FormAlert.client_id == client.id, FormAlert.acknowledged_at.is_not(None))
                   .options(selectinload(FormAlert.form_request))
                   .order_by(FormAlert.acknowledged_at.desc(), FormAlert.id.desc()), page)
    return AlertsPage(all_shown(listed.items), listed.number, listed.has_next)


# --- what the client sees -----------------------------------------------------------------------

def has_open_alert(client_id: int) -> bool:
    return db.session.scalar(_open_alert(), {"client_id": client_id}) is not None


@prepared
def _open_alert():
    return select(FormAlert.id).where(FormAlert.client_id == bindparam("client_id"),
                                      FormAlert.acknowledged_at.is_(None)).limit(1)


def has_open_alert_from(form: FormRequest) -> bool:
    return db.session.scalar(select(FormAlert.id).where(
        FormAlert.form_request_id == form.id, FormAlert.acknowledged_at.is_(None)).limit(1)) is not None


def crisis_text_for(client: Client) -> str | None:
    """The practice's "If you need help now" text while one of the client's answers waits for a staff member."""
    return client.workspace.crisis_text_for_clients if has_open_alert(client.id) else None
