"""The client's "Export my data" page, under Account."""

from flask import Blueprint, Response, abort, stream_with_context
from flask_login import current_user

from app import clock
from app.auth.access import client_required
from app.db import db
from app.exports.service import export_by_token, latest_export, request_export, take_download, usable, zip_chunks
from app.form_base import ButtonForm
from app.pages import fragment_or_see_other, render

bp = Blueprint("portal_export", __name__, url_prefix="/portal/account/export")


def _context() -> dict:
    export = latest_export(current_user.client)
    return {"export": export, "usable": usable(export), "button_form": ButtonForm(),
            "time_zone": current_user.client.time_zone}


@bp.get("")
@client_required
def index():
    return render("exports/portal_index.html", "exports/_status.html", **_context())


@bp.post("")
@client_required
def start():
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    request_export(current_user.client, current_user)
    db.session.commit()
    return fragment_or_see_other("exports/portal_index.html", "exports/_status.html", "/portal/account/export",
                                 _context, notice="We are putting your data together.")


@bp.get("/download/<export_token>")
@client_required
def download(export_token: str):
    """404 for a token that is not the signed-in client's; 410 for her own once used or expired."""
    export = export_by_token(current_user.client, export_token)
    if export is None:
        abort(404)
    if not take_download(export, current_user):
        return render("exports/portal_index.html", **_context(), spent=True, http_status=410)
    response = Response(stream_with_context(zip_chunks(export.storage_key)), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="my-data-{clock.now():%Y-%m-%d}.zip"',
        "Cache-Control": "no-store"})
    if export.size is not None:
        response.headers["Content-Length"] = str(export.size)
    return response
