"""Custom forms built by staff: a title and questions in the order the practice chooses."""

import json

from app import clock
from app.audit.trail import record
from app.auth.models import User
from app.db import db
from app.forms.forms import QuestionForm, option_lines
from app.forms.models import FormQuestion, FormTemplate
from app.tenancy import repeat_of


def create_template(workspace_id: int, created_by: User, title: str, request_key: str) -> FormTemplate:
    repeat = repeat_of(FormTemplate, workspace_id, request_key)
    if repeat is not None:
        return repeat
    template = FormTemplate(workspace_id=workspace_id, title=title, created_by_user_id=created_by.id,
                            request_key=request_key, created_at=clock.now())
    db.session.add(template)
    db.session.flush()
    record("form_template.created", workspace_id=workspace_id)
    return template


def add_question(template: FormTemplate, form: QuestionForm) -> FormQuestion:
    kind = form.kind.data
    question = FormQuestion(
        template_id=template.id, position=len(template.questions), kind=kind, prompt=form.prompt.data,
        required=form.required.data,
        options_json=json.dumps(_choices(form)) if kind.endswith("_choice") else None,
        scale_min=form.scale_min.data if kind == "scale" else None,
        scale_max=form.scale_max.data if kind == "scale" else None,
        min_label=(form.min_label.data or None) if kind == "scale" else None,
        max_label=(form.max_label.data or None) if kind == "scale" else None,
    )
    template.questions.append(question)
    db.session.flush()
    return question


def _choices(form: QuestionForm) -> list[dict]:
    """The answers to choose from, each marked whether choosing it raises an alert."""
    alerting = set(option_lines(form.alert_options.data))
    return [{"label": label, "alert": label in alerting} for label in option_lines(form.options.data)]


def move_question(template: FormTemplate, question: FormQuestion, step: int) -> None:
    """Swap the question with its neighbour above (-1) or below (+1); at either end nothing moves."""
    ordered = list(template.questions)
    at = ordered.index(question)
    to = at + step
    if step and 0 <= to < len(ordered):
        ordered[at], ordered[to] = ordered[to], ordered[at]
    for position, each in enumerate(ordered):
        each.position = position


def remove_question(template: FormTemplate, question: FormQuestion) -> None:
    template.questions.remove(question)
    for position, each in enumerate(template.questions):
        each.position = position
