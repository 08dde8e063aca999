from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from app.auth.access import staff_required
from app.auth.models import STAFF_ROLES
from app.auth.views import home_for, invite_link_page
from app.clients.models import Client
from app.db import db
from app.extensions import limiter
from app.form_base import ButtonForm
from app.pages import fragment_or_see_other, render, see_other
from app.paging import page_number
from app.portal.views import INVITE_LIMIT
from app.team import policy
from app.team.access import member_or_404
from app.team.forms import ROLE_HINTS, ROLE_LABELS, InviteStaffForm, RoleForm, RosterForm, role_choices
from app.team.invites import (
    AddressHasLogin,
    accept_staff_invite,
    cancel_staff_invite,
    invite_staff,
    invite_status,
    resend_staff_invite,
    staff_invite_for,
)
from app.team.models import StaffInvite
from app.team.service import (
    LastOwner,
    add_to_roster,
    candidates_page,
    change_role,
    deactivate,
    open_invites_page,
    reactivate,
    remove_from_roster,
    roster_page,
    team_page,
)
from app.tenancy import get_or_404

bp = Blueprint("team", __name__)


def _team_admin_only() -> None:
    if not policy.may_manage_team(current_user):
        abort(403)


@bp.get("/settings/team")
@staff_required
def index():
    _team_admin_only()
    form = InviteStaffForm()
    form.role.choices = role_choices(policy.roles_they_may_give(current_user))
    return render("team/index.html", "team/_invites.html", **_team_context(form))


@bp.post("/settings/team/invite")
@staff_required
def invite():
    _team_admin_only()
    form = InviteStaffForm()
    form.role.choices = role_choices(policy.roles_they_may_give(current_user))
    if form.validate_on_submit():
        try:
            sent = invite_staff(current_user.workspace, current_user, email=form.email.data, name=form.name.data,
                         role=form.role.data, request_key=form.request_key.data)
        except AddressHasLogin:
            form.email.errors.append("This address already has a login here. Use another address.")
        else:
            db.session.commit()
            notice = f"Invite on its way to {sent.email}."
            fresh = InviteStaffForm(formdata=None)
            fresh.role.choices = form.role.choices
            return fragment_or_see_other("team/index.html", "team/_invite_form.html", url_for("team.index"),
                                         lambda: _team_context(fresh, oob=True), notice=notice)
    return render("team/index.html", "team/_invite_form.html", http_status=422, **_team_context(form))


@bp.post("/settings/team/invites/<int:invite_id>/resend")
@staff_required
def resend(invite_id: int):
    invite = _open_invite_they_may_send(invite_id)
    resend_staff_invite(invite, current_user)
    db.session.commit()
    return _invites_answer(f"A new invite is on its way to {invite.email}; the earlier link no longer works.")


@bp.post("/settings/team/invites/<int:invite_id>/cancel")
@staff_required
def cancel(invite_id: int):
    invite = _open_invite_they_may_send(invite_id)
    cancel_staff_invite(invite)
    db.session.commit()
    return _invites_answer(f"The invite to {invite.email} was cancelled; its link no longer works.")


def _open_invite_they_may_send(invite_id: int) -> StaffInvite:
    invite = get_or_404(StaffInvite, invite_id)
    if invite.accepted_at is not None or invite.revoked_at is not None:
        abort(404)
    if not policy.may_invite(current_user, invite.role):
        abort(403)
    return invite


def _team_context(form: InviteStaffForm, **extra) -> dict:
    workspace_id = current_user.workspace_id
    invites = open_invites_page(workspace_id, page_number(request.args.get("invites_page")))
    return {"form": form, "members": team_page(workspace_id, page_number(request.args.get("page"))),
            "invites": invites, "invite_statuses": {i.id: invite_status(i) for i in invites.items},
            "button_form": ButtonForm(), "role_hints": ROLE_HINTS,
            "may_invite": policy.may_invite, **extra}


def _invites_answer(notice: str):
    form = InviteStaffForm()
    form.role.choices = role_choices(policy.roles_they_may_give(current_user))
    return fragment_or_see_other("team/index.html", "team/_invites.html", url_for("team.index"),
                                 lambda: _team_context(form), notice=notice)


@bp.get("/settings/team/<int:user_id>")
@staff_required
def member(user_id: int):
    colleague = member_or_404(user_id)
    _team_admin_only()
    return render("team/member.html", "team/_roster.html", **_member_context(colleague))


@bp.post("/settings/team/<int:user_id>/role")
@staff_required
def role(user_id: int):
    colleague = member_or_404(user_id)
    _team_admin_only()
    form = RoleForm()
    form.role.choices = role_choices(STAFF_ROLES)
    if not form.validate_on_submit():
        shown = _role_form(colleague)
        shown.role.errors = ["Choose one of the roles."]
        return render("team/member.html", http_status=422, **_member_context(colleague, role_form=shown))
    if not policy.may_change_role(current_user, colleague, form.role.data):
        abort(403)
    try:
        change_role(colleague, form.role.data)
    except LastOwner as refusal:
        db.session.rollback()
        shown = _role_form(colleague)
        shown.role.errors = [str(refusal)]
        return render("team/member.html", http_status=409, **_member_context(colleague, role_form=shown))
    db.session.commit()
    flash(f"{colleague.name} is now {ROLE_LABELS[form.role.data].lower()}.")
    return see_other(url_for("team.member", user_id=colleague.id))


@bp.post("/settings/team/<int:user_id>/deactivate")
@staff_required
def deactivate_member(user_id: int):
    colleague = member_or_404(user_id)
    _team_admin_only()
    if not ButtonForm().validate_on_submit() or not policy.may_deactivate(current_user, colleague):
        abort(403)
    try:
        deactivate(colleague)
    except LastOwner as refusal:
        db.session.rollback()
        return render("team/member.html", http_status=409, **_member_context(colleague, access_error=str(refusal)))
    db.session.commit()
    flash(f"{colleague.name} is deactivated and was signed out everywhere. Their conversations and records stay.")
    return see_other(url_for("team.member", user_id=colleague.id))


@bp.post("/settings/team/<int:user_id>/reactivate")
@staff_required
def reactivate_member(user_id: int):
    colleague = member_or_404(user_id)
    _team_admin_only()
    if not ButtonForm().validate_on_submit() or not policy.may_reactivate(current_user, colleague):
        abort(403)
    reactivate(colleague)
    db.session.commit()
    flash(f"{colleague.name} can sign in again.")
    return see_other(url_for("team.member", user_id=colleague.id))


@bp.post("/settings/team/<int:user_id>/roster/add")
@staff_required
def add_client(user_id: int):
    return _change_roster(member_or_404(user_id), add_to_roster, "{client} is now on {colleague}'s roster.")


@bp.post("/settings/team/<int:user_id>/roster/remove")
@staff_required
def remove_client(user_id: int):
    return _change_roster(member_or_404(user_id), remove_from_roster, "{client} is off {colleague}'s roster.")


def _change_roster(colleague, change, saying: str):
    _team_admin_only()
    if not policy.may_change_care_team(current_user, colleague):
        abort(403)
    form = RosterForm()
    if not form.validate_on_submit():
        abort(400)
    client = get_or_404(Client, form.client_id.data)
    changed = change(colleague, client)
    db.session.commit()
    notice = saying.format(client=client.full_name, colleague=colleague.first_name) if changed else None
    state = {name: form[name].data for name in ("q", "page", "find", "found") if form[name].data}
    return fragment_or_see_other("team/member.html", "team/_roster.html",
                                 url_for("team.member", user_id=colleague.id, **state),
                                 lambda: _member_context(colleague, args=state), notice=notice)


def _role_form(colleague) -> RoleForm:
    form = RoleForm(role=colleague.role)
    roles = policy.roles_they_may_give(current_user)
    form.role.choices = role_choices(roles if colleague.role in roles else (colleague.role,))
    return form


def _member_context(colleague, role_form: RoleForm | None = None, access_error: str | None = None,
                    args: dict | None = None) -> dict:
    args = request.args if args is None else args
    q, find = args.get("q", ""), args.get("find", "")
    return {"colleague": colleague, "role_form": role_form or _role_form(colleague), "button_form": ButtonForm(),
            "may_change_role": policy.may_change_role(current_user, colleague, colleague.role),
            "may_deactivate": policy.may_deactivate(current_user, colleague),
            "may_reactivate": policy.may_reactivate(current_user, colleague),
            "access_error": access_error, "role_hints": ROLE_HINTS, "q": q, "find": find,
            "roster": roster_page(colleague, q, page_number(args.get("page"))),
            "candidates": candidates_page(colleague, find, page_number(args.get("found"))) if find else None}


@bp.route("/team/invite/<token>", methods=["GET", "POST"])
@limiter.limit(INVITE_LIMIT, methods=["POST"])
def accept(token: str):
    if current_user.is_authenticated:
        return see_other(home_for(current_user))
    return invite_link_page(token, find=staff_invite_for, accept=accept_staff_invite, page="team/accept.html",
                            ready="Your login is ready. Log in with the password you chose.",
                            login_endpoint="auth.login", home=home_for)
