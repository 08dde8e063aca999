from flask import Blueprint, current_app, flash, request, url_for
from flask_login import current_user

from app.audit.trail import record
from app.auth.access import staff_required
from app.clients.access import client_or_404
from app.clients.forms import ClientForm, SendInviteForm
from app.clients.invites import (
    PortalStatus,
    disable_portal,
    enable_portal,
    portal_status,
    portal_statuses,
    send_portal_invite,
)
from app.clients.models import Client
from app.clients.policy import may_see_client, visible_clients
from app.clients.service import (
    EmailInUse,
    LoginAddressTaken,
    active_staff_of,
    client_page,
    create_client,
    update_client,
)
from app.db import db
from app.form_base import ButtonForm, options
from app.pages import fragment_or_see_other, render, see_other
from app.paging import cursor_arg

bp = Blueprint("clients", __name__, url_prefix="/clients")


@bp.get("")
@staff_required
def index():
    q = request.args.get("q", "")
    page = client_page(visible_clients(current_user), q, cursor_arg(request.args.get("after")))
    return render("clients/index.html", "clients/_client_rows.html",
                  clients=page.items, page=page, statuses=portal_statuses(page.items), q=q)


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    workspace = current_user.workspace
    form = ClientForm(time_zone=workspace.time_zone, care_team=[current_user.id])
    form.care_team.choices = options((u.id, u.name) for u in active_staff_of(workspace.id))
    if form.validate_on_submit():
        try:
            client = create_client(workspace, current_user, first_name=form.first_name.data,
                                   last_name=form.last_name.data, email=form.email.data, phone=form.phone.data,
                                   date_of_birth=form.date_of_birth.data, time_zone=form.time_zone.data,
                                   care_team_ids=form.care_team.data, request_key=form.request_key.data)
        except EmailInUse:
            form.email.errors.append("Another client already uses this e-mail address.")
        else:
            db.session.commit()
            flash(f"{client.full_name} was added.")
            return see_other(url_for("clients.show", client_id=client.id))
    return render("clients/new.html", form=form, http_status=422 if form.is_submitted() else 200)


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(client_id: int):
    client = client_or_404(client_id)
    portal = portal_status(client)
    form = ClientForm(data=_details_of(client))
    form.care_team.choices = options((u.id, u.name) for u in active_staff_of(client.workspace_id))
    if form.validate_on_submit():
        resend = "resend" in request.form and portal.state == "not_delivered"
        try:
            changed = update_client(client, first_name=form.first_name.data, last_name=form.last_name.data,
                                    email=form.email.data, phone=form.phone.data,
                                    date_of_birth=form.date_of_birth.data, time_zone=form.time_zone.data,
                                    care_team_ids=form.care_team.data)
        except EmailInUse:
            form.email.errors.append("Another client already uses this e-mail address.")
        except LoginAddressTaken:
            form.email.errors.append("Another Porch account already logs in with this address.")
        else:
            if resend and client.email:
                send_portal_invite(client, current_user)
            db.session.commit()
            flash(_saved_notice(client, changed, portal, resend and bool(client.email)))
            if not may_see_client(current_user, client):
                return see_other(url_for("clients.index"))
            return see_other(url_for("clients.show", client_id=client.id))
    return render("clients/edit.html", client=client, portal=portal, form=form,
                  http_status=422 if form.is_submitted() else 200)


def _details_of(client: Client) -> dict:
    return {"first_name": client.first_name, "last_name": client.last_name, "email": client.email,
            "phone": client.phone, "date_of_birth": client.date_of_birth, "time_zone": client.time_zone,
            "care_team": [u.id for u in client.care_team]}


def _saved_notice(client: Client, changed: list[str], before: PortalStatus, resent: bool) -> str:
    if not changed and not resent:
        return "Nothing changed."
    notice = f"{client.full_name}'s details are saved."
    if resent:
        notice += f" Portal invite on its way to {client.email}."
    elif "email" in changed and before.account is not None and client.email:
        notice += f" They now log in with {client.email}; both addresses get an e-mail saying so."
    elif "email" in changed and before.account is None and before.may_resend:
        notice += " The invite sent to the old address no longer works: send a new one from the Portal panel."
    if not may_see_client(current_user, client):
        notice += f" {client.first_name} is no longer on your list."
    return notice


@bp.get("/<int:client_id>")
@staff_required
def show(client_id: int):
    client = client_or_404(client_id)
    record("client.viewed", workspace_id=client.workspace_id, client_id=client.id)
    db.session.commit()
    return render("clients/show.html", **_portal_context(client))


@bp.get("/<int:client_id>/portal")
@staff_required
def portal_panel(client_id: int):
    """The portal panel alone, which polls itself while an invite is on its way."""
    client = client_or_404(client_id)
    return render("clients/show.html", "clients/_portal.html", **_portal_context(client))


@bp.post("/<int:client_id>/invite")
@staff_required
def invite(client_id: int):
    client = client_or_404(client_id)
    form = SendInviteForm()
    if not client.email:
        return _portal_answer(client, error="Add an e-mail address to this client before inviting them.")
    if not form.validate_on_submit() or portal_status(client).state in ("active", "disabled"):
        return _portal_answer(client, error="The invite could not be sent. Reload the page and try again.")
    send_portal_invite(client, current_user, request_key=form.request_key.data)
    db.session.commit()
    return _portal_answer(client, notice=f"Portal invite on its way to {client.email}.")


@bp.post("/<int:client_id>/portal/disable")
@staff_required
def disable(client_id: int):
    client = client_or_404(client_id)
    if not portal_status(client).may_disable:
        return _portal_answer(client, error="There is no portal access to turn off: the client has no account "
                                            "and no invite link that works.")
    disable_portal(client)
    record("portal.disabled", workspace_id=client.workspace_id, client_id=client.id)
    db.session.commit()
    return _portal_answer(client, notice="Portal access is turned off. Any open invite link stopped working.")


@bp.post("/<int:client_id>/portal/enable")
@staff_required
def enable(client_id: int):
    client = client_or_404(client_id)
    enable_portal(client)
    record("portal.enabled", workspace_id=client.workspace_id, client_id=client.id)
    db.session.commit()
    return _portal_answer(client, notice="Portal access is turned back on.")


def _portal_context(client: Client, **extra) -> dict:
    return {"client": client, "portal": portal_status(client), "invite_form": SendInviteForm(),
            "button_form": ButtonForm(), "portal_url": current_app.config["PORCH_BASE_URL"] + url_for("portal.home"),
            **extra}


def _portal_answer(client: Client, notice: str | None = None, error: str | None = None):
    """After a portal action: the fresh portal panel (or page, with an error), else back to the record."""
    if error:
        return render("clients/show.html", "clients/_portal.html", http_status=422,
                      **_portal_context(client, error=error))
    return fragment_or_see_other("clients/show.html", "clients/_portal.html",
                                 url_for("clients.show", client_id=client.id), lambda: _portal_context(client),
                                 notice=notice)
