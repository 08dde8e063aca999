from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user

from app.audit.trail import record
from app.auth.access import staff_required
from app.auth.policy import may_require_staff_mfa
from app.db import db
from app.form_base import options
from app.forms.service import choose_intake_form, intake_template_key, template_choices
from app.inbox.forms import CommunicationsForm
from app.inbox.policy import MODES
from app.inbox.service import change_mode
from app.pages import render, see_other
from app.settings.forms import BillingSettingsForm, SafetyForm, SecurityForm, WorkflowsForm
from app.settings.policy import may_change_workspace_settings

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("")
@staff_required
def index():
    return redirect(url_for("settings.communications"))


@bp.route("/workflows", methods=["GET", "POST"])
@staff_required
def workflows():
    if not may_change_workspace_settings(current_user):
        abort(403)
    workspace = current_user.workspace
    form = WorkflowsForm(obj=workspace, intake_form=intake_template_key(workspace.id) or "")
    form.intake_form.choices = options([("", "Don't send a form"), *template_choices(workspace.id)])
    if form.validate_on_submit():
        workspace.automate_portal_invites = form.automate_portal_invites.data
        choose_intake_form(workspace.id, form.intake_form.data)
        record("settings.workflows_changed", workspace_id=workspace.id)
        db.session.commit()
        flash("Workflows saved.")
        return see_other(url_for("settings.workflows"))
    return render("settings/workflows.html", form=form, http_status=422 if form.is_submitted() else 200)


@bp.route("/communications", methods=["GET", "POST"])
@staff_required
def communications():
    if not may_change_workspace_settings(current_user):
        abort(403)
    workspace = current_user.workspace
    form = CommunicationsForm(mode=workspace.communication_mode, contact_note=workspace.client_contact_note)
    if form.validate_on_submit():
        change_mode(workspace, form.mode.data, form.contact_note.data)
        db.session.commit()
        flash("Communications saved.")
        return see_other(url_for("settings.communications"))
    return render("settings/communications.html", form=form, modes=MODES,
                  http_status=422 if form.is_submitted() else 200)


@bp.route("/safety", methods=["GET", "POST"])
@staff_required
def safety():
    if not may_change_workspace_settings(current_user):
        abort(403)
    workspace = current_user.workspace
    form = SafetyForm(crisis_text=workspace.crisis_text_for_clients)
    if form.validate_on_submit():
        workspace.crisis_text = form.crisis_text.data.replace("\r\n", "\n")
        record("settings.crisis_text_changed", workspace_id=workspace.id)
        db.session.commit()
        flash("Crisis text saved.")
        return see_other(url_for("settings.safety"))
    return render("settings/safety.html", form=form, http_status=422 if form.is_submitted() else 200)


@bp.route("/billing", methods=["GET", "POST"])
@staff_required
def billing():
    if not may_change_workspace_settings(current_user):
        abort(403)
    workspace = current_user.workspace
    form = BillingSettingsForm(obj=workspace)
    if form.validate_on_submit():
        workspace.currency, workspace.locale = form.currency.data, form.locale.data
        record("settings.billing_changed", workspace_id=workspace.id, detail=f"{workspace.currency} {workspace.locale}")
        db.session.commit()
        flash("Billing settings saved.")
        return see_other(url_for("settings.billing"))
    return render("settings/billing.html", form=form, http_status=422 if form.is_submitted() else 200)


@bp.route("/security", methods=["GET", "POST"])
@staff_required
def security():
    if not may_require_staff_mfa(current_user):
        abort(403)
    workspace = current_user.workspace
    form = SecurityForm(obj=workspace)
    if form.validate_on_submit():
        workspace.require_staff_mfa = form.require_staff_mfa.data
        record("settings.security_changed", workspace_id=workspace.id)
        db.session.commit()
        flash("Security saved.")
        return see_other(url_for("settings.security"))
    return render("settings/security.html", form=form, http_status=422 if form.is_submitted() else 200)
