"""The client's "Who viewed my records": which staff member opened which of their things, and when."""

from flask import Blueprint, request
from flask_login import current_user

from app.audit.reading import viewings_of
from app.auth.access import client_required
from app.pages import render

bp = Blueprint("portal_record_views", __name__, url_prefix="/portal/account/views")


@bp.get("")
@client_required
def index():
    viewings, older = viewings_of(current_user.client, before=request.args.get("before", type=int))
    return render("audit/portal_views.html", viewings=viewings, older=older,
                  time_zone=current_user.client.time_zone, first_page="before" not in request.args)
