"""Forms in the client portal: what's waiting, filling one in with a draft saved as you go, what was sent."""

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from app import clock
from app.auth.access import client_required
from app.db import db
from app.forms import answers as kinds
from app.forms.alerts import crisis_text_for, has_open_alert_from
from app.forms.models import FormRequest
from app.forms.service import (
    AlreadySubmitted,
    FormNotSent,
    answers_of,
    instructions_of,
    questions_of,
    save_draft,
    sent_forms_page,
    submit_form,
    waiting_forms_page,
)
from app.pages import render, see_other, wants_fragment
from app.paging import cursor_arg
from app.tenancy import own_or_404

bp = Blueprint("portal_forms", __name__, url_prefix="/portal/forms")
bp.add_app_template_global(crisis_text_for)

CHANGED_ELSEWHERE = (" Some answers were changed in another window or device since you opened this page; "
                     "they are shown as they are now.")


def own_form_or_404(form_id: int) -> FormRequest:
    """The signed-in client's own form with this id, if it can be filled in; 404 otherwise."""
    form = own_or_404(FormRequest, form_id)
    if not form.questions_json:
        abort(404)
    return form


@bp.get("")
@client_required
def index():
    waiting = waiting_forms_page(current_user.client_id, cursor_arg(request.args.get("waiting")))
    sent = sent_forms_page(current_user.client_id, cursor_arg(request.args.get("sent")))
    section = "sent" if "sent" in request.args else "waiting"
    return render("forms/portal_index.html", "forms/_portal_section.html", section=section,
                  client=current_user.client, waiting=waiting, sent=sent)


@bp.get("/<int:form_id>")
@client_required
def show(form_id: int):
    form = own_form_or_404(form_id)
    return _page(form)


@bp.post("/<int:form_id>")
@client_required
def save(form_id: int):
    """The form's own buttons: Save draft, or Send (both work without JavaScript)."""
    form = own_form_or_404(form_id)
    sending = request.form.get("action") == "send"
    try:
        if sending:
            submit_form(form, request.form)
        else:
            saved = save_draft(form, request.form)
    except AlreadySubmitted:
        db.session.rollback()
        return _page(form, status=409,
                     problem="You sent this form already. This is what you sent; it can't be changed now.")
    except FormNotSent as refusal:
        if refusal.keep_draft:
            db.session.commit()
            return _page(form, errors=refusal.errors, status=422,
                         problem="Some answers need your attention; they are marked below. Your other answers "
                                 "are saved as a draft.")
        db.session.rollback()
        return _page(form, posted=request.form, errors=refusal.errors, status=422,
                     problem="Some answers can't be saved as they are; they are marked below. Nothing was saved "
                             "yet.")
    db.session.commit()
    if sending:
        return see_other(url_for("portal_forms.sent", form_id=form.id))
    flash("Draft saved." + (CHANGED_ELSEWHERE if saved.changed_elsewhere else ""))
    return see_other(url_for("portal_forms.show", form_id=form.id))


@bp.get("/<int:form_id>/sent")
@client_required
def sent(form_id: int):
    """The thank-you page after sending any form (so that neither its address nor the logs tell which answers
    raised an alert), with the practice's crisis text while an answer of this form needs attention."""
    form = own_form_or_404(form_id)
    if form.submitted_at is None:
        return see_other(url_for("portal_forms.show", form_id=form.id))
    return render("forms/portal_sent.html", client=current_user.client, form=form,
                  crisis_text=form.workspace.crisis_text_for_clients if has_open_alert_from(form) else None)


@bp.post("/<int:form_id>/draft")
@client_required
def draft(form_id: int):
    """Saving as you go (htmx on change, or a beacon when the tab closes): the status line and fresh page markers."""
    form = own_form_or_404(form_id)
    questions = {q["key"]: q for q in questions_of(form)}
    try:
        saved = save_draft(form, request.form)
    except AlreadySubmitted:
        db.session.rollback()
        return render("forms/_draft_status.html", state="submitted", http_status=409)
    except FormNotSent as refusal:
        db.session.rollback()
        return render("forms/_draft_status.html", state="invalid", errors=refusal.errors, questions=questions,
                      http_status=422)
    db.session.commit()
    if not wants_fragment():
        return "", 204
    answers = answers_of(form)
    return render("forms/_draft_status.html", state="saved", saved_at=clock.now(), client=current_user.client,
                  changed={key: kinds.shown(answers.get(key)) for key in saved.changed},
                  elsewhere=saved.changed_elsewhere, questions=questions)


def _page(form: FormRequest, *, posted=None, errors=None, status=200, problem=None):
    """The form to fill in (from the saved draft, or re-filled from a refused post), or what was sent."""
    questions, answers = questions_of(form), answers_of(form)
    if posted is not None:
        values = {q["key"]: posted.getlist(kinds.field_name(q)) for q in questions}
        shown = {q["key"]: posted.get(f"shown-{q['key']}", "") for q in questions}
    else:
        values = {key: value if isinstance(value, list) else [value] for key, value in answers.items()}
        shown = {q["key"]: kinds.shown(answers.get(q["key"])) for q in questions}
    return render("forms/fill.html", client=current_user.client, form=form, questions=questions, answers=answers,
                  values=values, shown=shown, errors=errors or {}, problem=problem,
                  instructions=instructions_of(form), kinds=kinds, http_status=status)
