"""Staff calendar: a day or a week, for one practitioner or the whole practice, in the viewer's time zone."""

from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, request
from flask_login import current_user

from app import clock
from app.auth.access import staff_required
from app.calendar.service import VIEWS, appointments_by_day, span_of
from app.clients.policy import may_see_client
from app.clients.service import active_staff_of
from app.pages import render

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@bp.get("")
@staff_required
def index():
    view = request.args.get("view", "week")
    if view not in VIEWS:
        view = "week"
    zone = current_user.time_zone
    today = clock.now().astimezone(ZoneInfo(zone)).date()
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = today
    staff = active_staff_of(current_user.workspace_id)
    who = request.args.get("who", str(current_user.id))
    if who == "all":
        practitioner = None
    else:
        practitioner = next((u for u in staff if str(u.id) == who), None)
        if practitioner is None:
            abort(404)
    span = span_of(view, day)
    days = appointments_by_day(current_user.workspace_id, span, zone,
                               practitioner.id if practitioner else None)
    return render("calendar/index.html", "calendar/_calendar.html", view=view, span=span, days=days, today=today,
                  staff=staff, practitioner=practitioner, who="all" if practitioner is None else str(practitioner.id),
                  zone=zone, may_see=lambda appointment: may_see_client(current_user, appointment.client))
