"""Forms on the staff side: custom form templates, sending a form to a client, reading a response."""

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.audit.trail import record
from app.auth.access import staff_required
from app.clients.access import client_or_404
from app.clients.models import Client
from app.db import db
from app.form_base import ButtonForm, options
from app.forms import answers as kinds
from app.forms.alerts import (
    ACKNOWLEDGED_ON_RECORD,
    AlreadyAcknowledged,
    acknowledge,
    acknowledged_alerts_of,
    as_shown,
    clients_needing_attention,
    open_alerts_of,
    open_alerts_seen_by,
)
from app.forms.builder import add_question, create_template, move_question, remove_question
from app.forms.forms import AcknowledgeForm, QuestionForm, SendFormForm, StepForm, TemplateForm
from app.forms.models import FormAlert, FormQuestion, FormRequest, FormSchedule, FormTemplate
from app.forms.policy import may_build_forms, may_read_responses, may_send_forms
from app.forms.questionnaires import QUESTIONNAIRES
from app.forms.service import (
    REPEATS,
    answers_of,
    client_forms_page,
    forms_of_client,
    instructions_of,
    questions_of,
    score_of,
    scores_of,
    send_form,
    stop_check_ins,
    template_choices,
)
from app.pages import render, see_other
from app.paging import cursor_arg
from app.tenancy import get_or_404, of_client_or_404, scoped

bp = Blueprint("forms", __name__)


@bp.app_template_global()
def client_forms_panel(client: Client) -> dict:
    """What the client record's Forms section shows (used by clients/show.html)."""
    form = SendFormForm()
    form.template.choices = options(template_choices(client.workspace_id))
    return {"summary": forms_of_client(client), "send_form": form, "button_form": ButtonForm(),
            "may_send": may_send_forms(current_user, client)}


# --- answers that need attention ----------------------------------------------------------------

bp.add_app_template_global(clients_needing_attention)


@bp.app_template_global()
def needs_attention_panel(client: Client) -> dict:
    """The client record's "Needs attention" section: open alerts with the answer, the latest acknowledged ones."""
    open_alerts = open_alerts_of(client)
    acknowledged = acknowledged_alerts_of(client)
    return {"open": open_alerts.items, "more_open": open_alerts.has_next,
            "acknowledged": acknowledged.items[:ACKNOWLEDGED_ON_RECORD],
            "more": len(acknowledged.items) > ACKNOWLEDGED_ON_RECORD or acknowledged.has_next,
            "forms": {shown.alert.id: _acknowledge_form(shown.alert, formdata=None) for shown in open_alerts.items}}


@bp.app_template_global()
def needs_attention_home():
    """The open alerts the signed-in staff member may see, for the page staff land on after signing in."""
    return open_alerts_seen_by(current_user, request.args.get("attention", 1, type=int))


def _acknowledge_form(alert: FormAlert, **kwargs) -> AcknowledgeForm:
    return AcknowledgeForm(prefix=f"alert-{alert.id}", **kwargs)


@bp.post("/clients/<int:client_id>/alerts/<int:alert_id>/acknowledge")
@staff_required
def acknowledge_alert(client_id: int, alert_id: int):
    client = client_or_404(client_id)
    alert = of_client_or_404(client, FormAlert, alert_id)
    form = _acknowledge_form(alert)
    if not form.validate_on_submit():
        return render("forms/acknowledge.html", client=client, shown=as_shown(alert) if alert.is_open else None,
                      form=form, http_status=422)
    try:
        acknowledge(alert, current_user, form.note.data)
    except AlreadyAcknowledged:
        db.session.rollback()
        flash(f"{alert.acknowledged_by.name if alert.acknowledged_by else 'A colleague'} acknowledged this "
              "answer already.")
    else:
        db.session.commit()
        flash("Acknowledged. The “Needs attention” marker is gone.")
    return see_other(url_for("clients.show", client_id=client.id, _anchor="needs-attention"))


@bp.get("/clients/<int:client_id>/alerts")
@staff_required
def client_alerts(client_id: int):
    """Every acknowledged alert of a client, newest first, a page at a time."""
    client = client_or_404(client_id)
    listed = acknowledged_alerts_of(client, request.args.get("page", 1, type=int))
    record("form_alerts.viewed", workspace_id=client.workspace_id, client_id=client.id)
    db.session.commit()
    return render("forms/alerts.html", client=client, listed=listed)


@bp.get("/clients/<int:client_id>/forms")
@staff_required
def client_forms(client_id: int):
    """Every form sent to a client, newest first, a page at a time (the record shows the latest)."""
    client = client_or_404(client_id)
    page = client_forms_page(client, cursor_arg(request.args.get("after")))
    record("client.viewed", workspace_id=client.workspace_id, client_id=client.id)
    db.session.commit()
    return render("forms/client_forms.html", "forms/_client_form_rows.html", client=client, page=page,
                  forms=page.items, scores=scores_of(page.items))


@bp.post("/clients/<int:client_id>/forms")
@staff_required
def send(client_id: int):
    client = client_or_404(client_id)
    if not may_send_forms(current_user, client):
        abort(403)
    form = SendFormForm()
    form.template.choices = options(template_choices(client.workspace_id))
    if not form.validate_on_submit():
        return render("forms/send_problem.html", client=client, send_form=form, http_status=422)
    sent = send_form(client, current_user, form.template.data, every_days=form.repeat.data,
                     request_key=form.request_key.data)
    db.session.commit()
    how = "" if not form.repeat.data else f", and again {REPEATS[form.repeat.data].lower()}"
    flash(f"{sent.title} sent to {client.first_name}{how}.")
    return see_other(url_for("clients.show", client_id=client.id, _anchor="forms"))


@bp.post("/clients/<int:client_id>/forms/check-ins/<int:schedule_id>/stop")
@staff_required
def stop(client_id: int, schedule_id: int):
    client = client_or_404(client_id)
    schedule = of_client_or_404(client, FormSchedule, schedule_id)
    stop_check_ins(schedule)
    db.session.commit()
    flash(f"{schedule.title} check-ins stopped.")
    return see_other(url_for("clients.show", client_id=client.id, _anchor="forms"))


@bp.get("/clients/<int:client_id>/forms/<int:form_id>")
@staff_required
def response(client_id: int, form_id: int):
    client = client_or_404(client_id)
    sent = of_client_or_404(client, FormRequest, form_id)
    if not may_read_responses(current_user, client):
        abort(404)
    answers = answers_of(sent) if sent.submitted_at else {}
    record("form_response.viewed", workspace_id=client.workspace_id, client_id=client.id, subject_type="form_request",
           subject_id=sent.id)
    db.session.commit()
    return render("forms/response.html", client=client, sent=sent, questions=questions_of(sent), answers=answers,
                  score=score_of(sent, answers), instructions=instructions_of(sent), kinds=kinds)


# --- custom templates ---------------------------------------------------------------------------

def _template_or_404(template_id: int) -> FormTemplate:
    if not may_build_forms(current_user):
        abort(404)
    return get_or_404(FormTemplate, template_id)


@bp.get("/forms")
@staff_required
def templates():
    custom = db.session.scalars(scoped(FormTemplate).where(FormTemplate.archived_at.is_(None))
                                .order_by(FormTemplate.title))
    return render("forms/templates.html", builtins=list(QUESTIONNAIRES.values()), custom=list(custom))


@bp.route("/forms/new", methods=["GET", "POST"])
@staff_required
def new_template():
    if not may_build_forms(current_user):
        abort(403)
    form = TemplateForm()
    if form.validate_on_submit():
        template = create_template(current_user.workspace_id, current_user, form.title.data, form.request_key.data)
        db.session.commit()
        flash(f"{template.title} created. Add its questions.")
        return see_other(url_for("forms.edit_template", template_id=template.id))
    return render("forms/new_template.html", form=form, http_status=422 if form.is_submitted() else 200)


@bp.get("/forms/<int:template_id>")
@staff_required
def edit_template(template_id: int):
    template = _template_or_404(template_id)
    return _builder(template, QuestionForm(formdata=None))


@bp.post("/forms/<int:template_id>/questions")
@staff_required
def add(template_id: int):
    template = _template_or_404(template_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _builder(template, form, status=422)
    add_question(template, form)
    db.session.commit()
    flash("Question added.")
    return see_other(url_for("forms.edit_template", template_id=template.id, _anchor="questions"))


@bp.post("/forms/<int:template_id>/questions/<int:question_id>/move")
@staff_required
def move(template_id: int, question_id: int):
    template, question = _question_or_404(template_id, question_id)
    form = StepForm()
    if not form.validate_on_submit():
        abort(400)
    move_question(template, question, form.step.data)
    db.session.commit()
    return see_other(url_for("forms.edit_template", template_id=template.id, _anchor=f"question-{question.id}"))


@bp.post("/forms/<int:template_id>/questions/<int:question_id>/remove")
@staff_required
def remove(template_id: int, question_id: int):
    template, question = _question_or_404(template_id, question_id)
    remove_question(template, question)
    db.session.commit()
    flash("Question removed.")
    return see_other(url_for("forms.edit_template", template_id=template.id, _anchor="questions"))


def _question_or_404(template_id: int, question_id: int) -> tuple[FormTemplate, FormQuestion]:
    template = _template_or_404(template_id)
    question = db.session.scalar(select(FormQuestion).where(FormQuestion.id == question_id,
                                                            FormQuestion.template_id == template.id))
    if question is None:
        abort(404)
    return template, question


def _builder(template: FormTemplate, form: QuestionForm, status: int = 200):
    return render("forms/edit_template.html", template=template, form=form, step_form=StepForm(),
                  button_form=ButtonForm(), kinds=kinds.KINDS, http_status=status)
