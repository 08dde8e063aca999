"""Settings → Workspace settings → Branding, and the logo and stylesheet every page of the practice links to."""

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.auth.access import staff_required
from app.branding.brand import branding_of, stylesheet_fingerprint
from app.branding.forms import BrandingForm
from app.branding.logo import LOGO_MAX_BYTES, TOO_LARGE, LogoRefused, prepare_logo
from app.branding.service import change_branding
from app.compression import packed, serve_asset
from app.db import db
from app.extensions import csrf
from app.mail import link_to
from app.pages import render, see_other
from app.settings.policy import may_change_workspace_settings
from app.tenancy import Workspace

bp = Blueprint("branding", __name__)

FORM_OVERHEAD = 64 * 1024  # the multipart framing and the text fields


@bp.route("/settings/branding", methods=["GET", "POST"])
@csrf.exempt  # checked below, once the body was read under the logo's own size limit
@staff_required
def settings():
    if not may_change_workspace_settings(current_user):
        abort(403)
    workspace = current_user.workspace
    branding = branding_of(workspace.id)
    saved = {"obj": workspace, "portal_welcome": branding.portal_welcome if branding else None,
             "email_signature": branding.email_signature if branding else None}
    if request.method == "GET":
        return render("branding/settings.html", form=BrandingForm(**saved))
    request.max_content_length = LOGO_MAX_BYTES + FORM_OVERHEAD
    try:
        request.form  # noqa: B018 (reading the form reads the body)
    except RequestEntityTooLarge:
        form = BrandingForm(formdata=None, **saved)
        form.logo.errors = [TOO_LARGE]
        return render("branding/settings.html", form=form, http_status=413)
    csrf.protect()
    form, status, logo = BrandingForm(), 422, None
    valid = form.validate()
    upload = request.files.get("logo")
    if upload is not None and upload.filename:
        try:
            logo = prepare_logo(upload.read(LOGO_MAX_BYTES + 1))
        except LogoRefused as refusal:
            form.logo.errors = [*form.logo.errors, refusal.message]
            valid, status = False, refusal.status
    if not valid:
        return render("branding/settings.html", form=form, http_status=status)
    change_branding(workspace, name=form.name.data, brand_colour=form.brand_colour.data,
                    white_label=form.white_label.data, portal_welcome=form.portal_welcome.data,
                    email_signature=form.email_signature.data, logo=logo, remove_logo=form.remove_logo.data)
    db.session.commit()
    flash("Branding saved.")
    return see_other(url_for("branding.settings"))


@bp.get("/brand/<int:workspace_id>/style.css")
def stylesheet(workspace_id: int):
    """The practice's stylesheet: ours with its colour as the accent, one request, cached a year under `v`."""
    workspace = db.get_or_404(Workspace, workspace_id)
    current = stylesheet_fingerprint(workspace)
    if request.args.get("v") != current:
        return redirect(url_for("branding.stylesheet", workspace_id=workspace.id, v=current))
    return serve_asset(packed(_our_stylesheet() + f"\n:root {{ --accent: {workspace.brand_colour}; }}\n".encode(),
                              "text/css", current))


@bp.get("/brand/style.css")
def plain_stylesheet():
    """Ours alone, for signed-out pages that belong to no one practice, under a name that names no product."""
    current = stylesheet_fingerprint(None)
    if request.args.get("v") != current:
        return redirect(url_for("branding.plain_stylesheet", v=current))
    return serve_asset(packed(_our_stylesheet(), "text/css", current))


def _our_stylesheet() -> bytes:
    with current_app.open_resource("static/porch.css", "rb") as ours:
        return ours.read()


@bp.get("/brand/<int:workspace_id>/logo.png")
def logo(workspace_id: int):
    branding = branding_of(workspace_id)
    if branding is None or not branding.logo_fingerprint:
        abort(404)
    if request.args.get("v") != branding.logo_fingerprint:
        return redirect(url_for("branding.logo", workspace_id=workspace_id, v=branding.logo_fingerprint))
    return serve_asset(packed(branding.logo_png, "image/png", branding.logo_fingerprint))


@bp.app_template_global()
def mail_brand(workspace) -> dict:
    """What e-mails add to the practice's name and colour: its logo (an absolute link) and its signature."""
    branding = branding_of(workspace.id)
    logo = None
    if branding is not None and branding.logo_fingerprint:
        logo = {"url": link_to("branding.logo", workspace_id=workspace.id, v=branding.logo_fingerprint),
                "width": branding.logo_width // 2 or 1, "height": branding.logo_height // 2 or 1}
    return {"logo": logo, "signature": branding.email_signature if branding else None}
