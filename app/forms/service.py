"""Forms: sending one (once, as a recurring check-in, or as the intake form), drafts, submitting, scores."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from app import clock
from app.audit.trail import record
from app.auth.models import User
from app.clients.models import Client
from app.db import db
from app.forms import answers as kinds
from app.forms.alerts import is_risk_answer, raise_alerts
from app.forms.models import FormAnswer, FormNotice, FormRequest, FormSchedule, FormTemplate, IntakeSetting
from app.forms.questionnaires import QUESTIONNAIRES, Score, score
from app.paging import KeysetPage, keyset_page_of
from app.queue import enqueue
from app.tenancy import repeat_of

BUILTIN = "builtin:"
CUSTOM = "template:"
REPEATS = {0: "Once", 7: "Every week", 14: "Every 2 weeks", 28: "Every 4 weeks"}


class UnknownTemplate(Exception):
    """No such form in this workspace (or one with no questions yet)."""


class AlreadySubmitted(Exception):
    """The form was sent to the practice already; it can only be read now."""


@dataclass
class FormNotSent(Exception):
    """The form can't be submitted as it is. `errors` go next to the questions; `raw` re-fills bad fields.

    With keep_draft the good answers were saved as a draft (commit); without, nothing may be written (roll back).
    """

    errors: dict[str, str]
    raw: dict[str, list[str]] = field(default_factory=dict)
    keep_draft: bool = False
    changed_elsewhere: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Saved:
    changed: list[str]
    changed_elsewhere: list[str]


# --- which forms there are ----------------------------------------------------------------------

def template_choices(workspace_id: int) -> list[tuple[str, str]]:
    custom = db.session.scalars(select(FormTemplate).where(
        FormTemplate.workspace_id == workspace_id, FormTemplate.archived_at.is_(None)).order_by(FormTemplate.title))
    return [*[(BUILTIN + q.key, q.title) for q in QUESTIONNAIRES.values()],
            *[(CUSTOM + str(t.id), t.title) for t in custom if t.questions]]


def template_contents(workspace_id: int, template_key: str) -> tuple[str, list[dict]]:
    """The title and the questions a form sent from `template_key` will carry."""
    if template_key.startswith(BUILTIN) and template_key[len(BUILTIN):] in QUESTIONNAIRES:
        questionnaire = QUESTIONNAIRES[template_key[len(BUILTIN):]]
        return questionnaire.title, questionnaire.questions()
    template_id = template_key[len(CUSTOM):] if template_key.startswith(CUSTOM) else ""
    template = db.session.scalar(select(FormTemplate).where(
        FormTemplate.workspace_id == workspace_id,
        FormTemplate.id == (int(template_id) if template_id.isdigit() else -1)))
    if template is None or not template.questions:
        raise UnknownTemplate(template_key)
    return template.title, [question_as_sent(q) for q in template.questions]


def question_as_sent(question) -> dict:
    sent = {"key": f"c{question.id}", "kind": question.kind, "prompt": question.prompt, "required": question.required}
    if question.kind in ("single_choice", "multiple_choice"):
        alerting = set(question.alert_options)
        sent["options"] = [{"value": str(n), "label": label, **({"alert": True} if label in alerting else {})}
                           for n, label in enumerate(question.options, start=1)]
    if question.kind == "scale":
        sent.update(min=question.scale_min, max=question.scale_max, min_label=question.min_label or "",
                    max_label=question.max_label or "")
    return sent


def questionnaire_of(form: FormRequest):
    if form.template_key and form.template_key.startswith(BUILTIN):
        return QUESTIONNAIRES.get(form.template_key[len(BUILTIN):])
    return None


def instructions_of(form: FormRequest) -> str | None:
    questionnaire = questionnaire_of(form)
    return questionnaire.instructions if questionnaire else None


def questions_of(form: FormRequest) -> list[dict]:
    return json.loads(form.questions_json) if form.questions_json else []


# --- sending ------------------------------------------------------------------------------------

def send_form(client: Client, sent_by: User | None, template_key: str, *, every_days: int = 0,
              request_key: str | None = None, sent_as: str = "staff") -> FormRequest:
    """Send a form now; with every_days, also again every that many days until stopped. A repeat of the same
    request key returns the first form."""
    repeat = repeat_of(FormRequest, client.workspace_id, request_key)
    if repeat is not None:
        return repeat
    title, questions = template_contents(client.workspace_id, template_key)
    now = clock.now()
    schedule = None
    if every_days:
        schedule = FormSchedule(workspace_id=client.workspace_id, client_id=client.id, template_key=template_key,
                                title=title, every_days=every_days, next_send_at=now + timedelta(days=every_days),
                                created_by_user_id=sent_by.id if sent_by else None, created_at=now)
        db.session.add(schedule)
        db.session.flush()
        sent_as = "check_in"
    return _new_form(client, title, template_key, questions, sent_by_id=sent_by.id if sent_by else None,
                     sent_as=sent_as, at=now, schedule_id=schedule.id if schedule else None, request_key=request_key)


def _new_form(client: Client, title: str, template_key: str, questions: list[dict], *, sent_by_id: int | None,
              sent_as: str, at: datetime, schedule_id: int | None = None,
              request_key: str | None = None) -> FormRequest:
    form = FormRequest(workspace_id=client.workspace_id, client_id=client.id, title=title, sent_at=at,
                       template_key=template_key, questions_json=json.dumps(questions), schedule_id=schedule_id,
                       sent_by_user_id=sent_by_id, sent_as=sent_as, request_key=request_key)
    db.session.add(form)
    db.session.flush()
    if client.email and client.portal_disabled_at is None:
        notice = FormNotice(workspace_id=client.workspace_id, form_request_id=form.id, email=client.email,
                            created_at=clock.now())
        db.session.add(notice)
        db.session.flush()
        enqueue("jobs.forms.send_form_notice", notice.id)
    record("form.sent", workspace_id=client.workspace_id, client_id=client.id, actor_user_id=sent_by_id)
    return form


def intake_template_key(workspace_id: int) -> str | None:
    setting = db.session.get(IntakeSetting, workspace_id)
    return setting.template_key if setting else None


def choose_intake_form(workspace_id: int, template_key: str | None) -> None:
    setting = db.session.get(IntakeSetting, workspace_id)
    if setting is None:
        setting = IntakeSetting(workspace_id=workspace_id, updated_at=clock.now())
        db.session.add(setting)
    setting.template_key, setting.updated_at = template_key or None, clock.now()


def send_intake_form(client: Client, sent_by: User | None) -> FormRequest | None:
    """Workflows → "Send intake form on client creation": the chosen form, if there is one and it still exists."""
    template_key = intake_template_key(client.workspace_id)
    if not template_key:
        return None
    try:
        return send_form(client, sent_by, template_key, sent_as="intake")
    except UnknownTemplate:
        return None


def stop_check_ins(schedule: FormSchedule) -> None:
    if schedule.stopped_at is None:
        schedule.stopped_at = clock.now()
        record("form_check_ins.stopped", workspace_id=schedule.workspace_id, client_id=schedule.client_id)


def send_due_check_ins() -> int:
    """Send every recurring check-in whose time has come, once each, whoever runs this and however often."""
    now = clock.now()
    due = db.session.scalars(select(FormSchedule.id).where(
        FormSchedule.stopped_at.is_(None), FormSchedule.next_send_at <= now)).all()
    db.session.commit()
    sent = 0
    for schedule_id in due:
        sent += _send_check_in(schedule_id, now)
    return sent


def _send_check_in(schedule_id: int, now: datetime) -> int:
    schedule = db.session.get(FormSchedule, schedule_id)
    due_at = schedule.next_send_at
    following = due_at + timedelta(days=schedule.every_days)
    while following <= now:  # after a long outage: one form, not one per missed week
        following += timedelta(days=schedule.every_days)
    claimed = db.session.execute(update(FormSchedule).where(
        FormSchedule.id == schedule_id, FormSchedule.next_send_at == due_at, FormSchedule.stopped_at.is_(None),
    ).values(next_send_at=following)).rowcount
    if not claimed:
        db.session.rollback()
        return 0
    client = db.session.get(Client, schedule.client_id)
    try:
        title, questions = template_contents(schedule.workspace_id, schedule.template_key)
        _new_form(client, title, schedule.template_key, questions, sent_by_id=schedule.created_by_user_id,
                  sent_as="check_in", at=due_at, schedule_id=schedule.id)
    except UnknownTemplate:
        schedule.stopped_at = now
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return 0
    return 1


# --- filling in ---------------------------------------------------------------------------------

def answers_of(form: FormRequest) -> dict:
    rows = db.session.scalars(select(FormAnswer).where(FormAnswer.form_request_id == form.id))
    return {row.question_key: kinds.decode(row.value) for row in rows}


def save_draft(form: FormRequest, posted: MultiDict) -> Saved:
    """Keep the answers this page changed (last write wins, question by question).

    Only questions whose `shown-<key>` field came with the post are read, and only those whose answer differs
    from what the page showed are written, so that a second window never blanks out answers it didn't touch.
    Raises FormNotSent (write nothing) when an answer is bad, AlreadySubmitted once the form was sent.
    """
    if form.submitted_at is not None:
        raise AlreadySubmitted()
    questions = [q for q in questions_of(form) if f"shown-{q['key']}" in posted]
    values, errors, raw = {}, {}, {}
    for question in questions:
        posted_values = posted.getlist(kinds.field_name(question))
        try:
            values[question["key"]] = kinds.read(question, posted_values)
        except kinds.AnswerProblem as problem:
            errors[question["key"]], raw[question["key"]] = str(problem), posted_values
    if errors:
        raise FormNotSent(errors, raw)
    stored = answers_of(form)
    now = clock.now()
    changed, elsewhere = [], []
    for question in questions:
        key = question["key"]
        page_showed = posted.get(f"shown-{key}", "")
        if kinds.shown(values[key]) == page_showed:
            if kinds.shown(stored.get(key)) != page_showed:
                elsewhere.append(key)
            continue
        if kinds.shown(values[key]) != kinds.shown(stored.get(key)):
            _write_answer(form, key, values[key], now)
        changed.append(key)
    return Saved(changed, elsewhere)


def _write_answer(form: FormRequest, key: str, value, now: datetime) -> None:
    row = db.session.scalar(select(FormAnswer).where(FormAnswer.form_request_id == form.id,
                                                     FormAnswer.question_key == key))
    if value is None:
        if row is not None:
            db.session.delete(row)
        return
    if row is not None:
        row.value, row.updated_at = kinds.encode(value), now
        return
    try:
        with db.session.begin_nested():
            db.session.add(FormAnswer(workspace_id=form.workspace_id, form_request_id=form.id, question_key=key,
                                      value=kinds.encode(value), updated_at=now))
    except IntegrityError:  # the other window wrote this question a moment ago: last write wins
        row = db.session.scalar(select(FormAnswer).where(FormAnswer.form_request_id == form.id,
                                                         FormAnswer.question_key == key))
        row.value, row.updated_at = kinds.encode(value), now


def submit_form(form: FormRequest, posted: MultiDict) -> None:
    """Save the page's answers, check them, and mark the form sent. Raises FormNotSent or AlreadySubmitted."""
    saved = save_draft(form, posted)
    if saved.changed_elsewhere:
        raise FormNotSent({key: "This answer was changed in another window. Check it, then send the form again."
                           for key in saved.changed_elsewhere}, keep_draft=True,
                          changed_elsewhere=saved.changed_elsewhere)
    answers = answers_of(form)
    missing = {q["key"]: "Answer this question to send the form." for q in questions_of(form)
               if q.get("required") and answers.get(q["key"]) is None}
    if missing:
        raise FormNotSent(missing, keep_draft=True)
    now = clock.now()
    marked = db.session.execute(update(FormRequest).where(
        FormRequest.id == form.id, FormRequest.submitted_at.is_(None)).values(submitted_at=now)).rowcount
    if not marked:
        raise AlreadySubmitted()
    db.session.refresh(form)
    record("form.submitted", workspace_id=form.workspace_id, client_id=form.client_id)
    questionnaire = questionnaire_of(form)
    raise_alerts(form, [q["key"] for q in questions_of(form)
                        if is_risk_answer(questionnaire, q, answers.get(q["key"]))])


# --- reading responses --------------------------------------------------------------------------

def score_of(form: FormRequest, answers: dict | None = None) -> Score | None:
    questionnaire = questionnaire_of(form)
    if questionnaire is None or form.submitted_at is None:
        return None
    return score(questionnaire.key, answers if answers is not None else answers_of(form))


@dataclass(frozen=True)
class Trend:
    title: str
    out_of: int
    points: list[tuple[datetime, int]]

    def polyline(self, width: int = 240, height: int = 64, pad: int = 6) -> str:
        """SVG polyline points, oldest on the left, 0 at the bottom and the questionnaire's maximum at the top."""
        if len(self.points) == 1:
            xs = [width / 2]
        else:
            xs = [pad + i * (width - 2 * pad) / (len(self.points) - 1) for i in range(len(self.points))]
        ys = [height - pad - total * (height - 2 * pad) / self.out_of for _, total in self.points]
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


@dataclass(frozen=True)
class ClientForms:
    page: KeysetPage  # the forms sent, newest first
    scores: dict[int, Score]
    trends: list[Trend]
    schedules: list[FormSchedule]
    flagged: list[FormRequest]

    @property
    def forms(self) -> list[FormRequest]:
        return self.page.items


FORMS_ON_RECORD = 10
FORMS_PAGE = 50
TREND_POINTS = 26  # half a year of weekly check-ins


def answers_by_form(forms: list[FormRequest]) -> dict[int, dict]:
    """The answers of each of `forms`, in one query."""
    found: dict[int, dict] = {form.id: {} for form in forms}
    if found:
        for row in db.session.scalars(select(FormAnswer).where(FormAnswer.form_request_id.in_(found))):
            found[row.form_request_id][row.question_key] = kinds.decode(row.value)
    return found


def scores_of(forms: list[FormRequest]) -> dict[int, Score]:
    """The scores of those of `forms` that are submitted questionnaires, their answers read in one query."""
    scored = [form for form in forms if form.submitted_at is not None and questionnaire_of(form) is not None]
    answers = answers_by_form(scored)
    return {form.id: found for form in scored if (found := score_of(form, answers[form.id])) is not None}


def client_forms_page(client: Client, cursor: str | None = None, size: int = FORMS_PAGE) -> KeysetPage:
    """The forms sent to a client, the most recent first, `size` at a time."""
    query = select(FormRequest).where(FormRequest.client_id == client.id)
    return keyset_page_of(query, [FormRequest.sent_at, FormRequest.id], cursor, size, scope="client-forms",
                          descending=True)


def forms_of_client(client: Client, cursor: str | None = None, size: int = FORMS_ON_RECORD) -> ClientForms:
    """What the client record shows: the latest forms sent with their scores, a trend per questionnaire over the
    latest TREND_POINTS scored ones, running check-ins. The same few queries however many forms there are."""
    page = client_forms_page(client, cursor, size)
    recent = list(db.session.scalars(
        select(FormRequest).where(FormRequest.client_id == client.id, FormRequest.submitted_at.is_not(None),
                                  FormRequest.template_key.in_([BUILTIN + key for key in QUESTIONNAIRES]))
        .order_by(FormRequest.submitted_at.desc(), FormRequest.id.desc()).limit(TREND_POINTS)))
    scores = scores_of([*page.items, *(f for f in recent if f not in page.items)])
    trends = []
    for questionnaire in QUESTIONNAIRES.values():
        points = sorted((f.submitted_at, scores[f.id].total) for f in recent
                        if f.id in scores and questionnaire_of(f) is questionnaire)
        if points:
            trends.append(Trend(questionnaire.title, questionnaire.max_total, points))
    schedules = list(db.session.scalars(select(FormSchedule).where(
        FormSchedule.client_id == client.id, FormSchedule.stopped_at.is_(None)).order_by(FormSchedule.created_at)))
    flagged = [f for f in recent if f.id in scores and scores[f.id].self_harm_flag]
    return ClientForms(page, scores, trends, schedules, flagged)


def waiting_forms_page(client_id: int, cursor: str | None = None, size: int = FORMS_PAGE) -> KeysetPage:
    """The client's forms still to fill in, oldest first."""
    query = select(FormRequest).where(FormRequest.client_id == client_id, FormRequest.submitted_at.is_(None))
    return keyset_page_of(query, [FormRequest.sent_at, FormRequest.id], cursor, size, scope="forms-waiting")


def sent_forms_page(client_id: int, cursor: str | None = None, size: int = FORMS_PAGE) -> KeysetPage:
    """The forms the client sent, the most recently sent first."""
    query = select(FormRequest).where(FormRequest.client_id == client_id, FormRequest.submitted_at.is_not(None))
    return keyset_page_of(query, [FormRequest.submitted_at, FormRequest.id], cursor, size, scope="forms-sent",
                          descending=True)
