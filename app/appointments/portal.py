"""Appointments in the client portal: upcoming and past, in the client's time zone, and the .ics download."""

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from flask_login import current_user

from app import clock
from app.appointments.booking import change_window_open, may_book_online, may_reschedule_online
from app.appointments.models import Appointment
from app.appointments.service import calendar_file, join_link_open, past_page, upcoming_page
from app.appointments.setup import booking_rules_for
from app.auth.access import client_required
from app.pages import render
from app.paging import cursor_arg
from app.tenancy import own_or_404

bp = Blueprint("portal_appointments", __name__, url_prefix="/portal/appointments")


def own_appointment_or_404(appointment_id: int) -> Appointment:
    return own_or_404(Appointment, appointment_id)


@bp.get("")
@client_required
def index():
    client = current_user.client
    upcoming = upcoming_page(client.id, cursor_arg(request.args.get("upcoming")))
    past = past_page(client.id, cursor_arg(request.args.get("past")))
    section = "past" if "past" in request.args else "upcoming"
    return render("appointments/portal_index.html", "appointments/_portal_section.html", section=section,
                  client=client, upcoming=upcoming, past=past, join_link_open=join_link_open, now=clock.now(),
                  may_book=may_book_online(client), rules=booking_rules_for(client.workspace_id),
                  may_change=change_window_open, may_reschedule=may_reschedule_online)


@bp.get("/<int:appointment_id>.ics")
@client_required
def calendar(appointment_id: int):
    appointment = own_appointment_or_404(appointment_id)
    host = urlsplit(current_app.config["PORCH_BASE_URL"]).hostname or "localhost"
    workspace = current_user.workspace
    body = calendar_file(appointment, workspace.name, host, white_label=workspace.white_label)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="appointment-{appointment.id}.ics"',
        "Cache-Control": "no-store"})
