"""Appointments on the staff side: book, change and cancel a client's appointments (times in the staff zone)."""

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, url_for
from flask_login import current_user

from app import clock
from app.appointments.forms import AppointmentForm
from app.appointments.models import Appointment
from app.appointments.policy import may_book, may_change
from app.appointments.service import (
    Details,
    NoSuchLocalTime,
    book_appointment,
    cancel_appointment,
    change_appointment,
    local_start,
    overlapping,
    past_page,
    upcoming_page,
)
from app.auth.access import staff_required
from app.clients.access import client_or_404
from app.clients.models import Client
from app.clients.service import active_staff_of
from app.db import db
from app.form_base import ButtonForm, options
from app.formatting import local_day, local_time
from app.pages import render, see_other
from app.tenancy import of_client_or_404

bp = Blueprint("appointments", __name__, url_prefix="/clients/<int:client_id>/appointments")
PANEL_UPCOMING, PANEL_PAST = 10, 5


@bp.app_template_global()
def client_appointments_panel(client: Client) -> dict:
    """What the client record's Appointments section shows (used by clients/show.html)."""
    upcoming, past = upcoming_page(client.id, size=PANEL_UPCOMING), past_page(client.id, size=PANEL_PAST)
    return {"upcoming": upcoming.items, "past": past.items, "more": upcoming.has_next or past.has_next,
            "button_form": ButtonForm(),
            "may_book": may_book(current_user, client)}


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new(client_id: int):
    client = client_or_404(client_id)
    if not may_book(current_user, client):
        abort(403)
    form = _form(practitioner=current_user.id)
    details = _details(form, None)
    if details is not None:
        book_appointment(client, current_user, details, form.request_key.data)
        db.session.commit()
        flash(f"Appointment booked for {client.first_name}.")
        return see_other(url_for("clients.show", client_id=client.id, _anchor="appointments"))
    return render("appointments/form.html", client=client, form=form, appointment=None, clash=_clash(form),
                  http_status=422 if form.is_submitted() else 200)


@bp.route("/<int:appointment_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(client_id: int, appointment_id: int):
    client = client_or_404(client_id)
    appointment = of_client_or_404(client, Appointment, appointment_id)
    if not may_change(current_user, client, appointment):
        abort(409 if appointment.cancelled_at else 403)
    local = appointment.starts_at.astimezone(ZoneInfo(current_user.time_zone))
    form = _form(day=local.date(), start=local.time(), duration_minutes=appointment.duration_minutes,
                 practitioner=appointment.practitioner_id, kind=appointment.kind, join_url=appointment.join_url,
                 location=appointment.location, note=appointment.note)
    details = _details(form, appointment)
    if details is not None:
        change_appointment(appointment, client, details)
        db.session.commit()
        flash(f"Appointment changed. {client.first_name} sees the new details in the portal.")
        return see_other(url_for("clients.show", client_id=client.id, _anchor="appointments"))
    return render("appointments/form.html", client=client, form=form, appointment=appointment, clash=_clash(form),
                  http_status=422 if form.is_submitted() else 200)


@bp.post("/<int:appointment_id>/cancel")
@staff_required
def cancel(client_id: int, appointment_id: int):
    client = client_or_404(client_id)
    appointment = of_client_or_404(client, Appointment, appointment_id)
    if not may_book(current_user, client):
        abort(403)
    cancel_appointment(appointment)
    db.session.commit()
    flash("Appointment cancelled. Its reminder won't be sent.")
    return see_other(url_for("clients.show", client_id=client.id, _anchor="appointments"))


def _form(**defaults) -> AppointmentForm:
    form = AppointmentForm(**defaults)
    form.practitioner.choices = options((u.id, u.name) for u in active_staff_of(current_user.workspace_id))
    return form


def _details(form: AppointmentForm, appointment: Appointment | None) -> Details | None:
    """The appointment the form describes, once it is valid; None (with errors on the form) otherwise. A start in
    the past is refused (unless an existing appointment keeps its time); an overlap with another of the
    practitioner's appointments is refused unless "book anyway" is ticked."""
    if not form.validate_on_submit():
        return None
    try:
        starts_at = local_start(form.day.data, form.start.data, current_user.time_zone)
    except NoSuchLocalTime as problem:
        form.start.errors.append(str(problem))
        return None
    details = Details(starts_at=starts_at, duration_minutes=form.duration_minutes.data,
                      practitioner_id=form.practitioner.data, kind=form.kind.data,
                      join_url=form.join_url.data or None, location=form.location.data or None,
                      note=form.note.data or None)
    moved = appointment is None or starts_at != appointment.starts_at
    if moved and starts_at < clock.now():
        form.day.errors.append("Choose a date and time that hasn't passed yet.")
        return None
    if appointment is None or moved or (details.duration_minutes, details.practitioner_id) != (
            appointment.duration_minutes, appointment.practitioner_id):
        clashes = overlapping(current_user.workspace_id, details.practitioner_id, starts_at,
                              details.duration_minutes, ignore_id=appointment.id if appointment else None)
        if clashes and not form.book_anyway.data:
            form.start.errors.append(_clash_message(clashes))
            form.book_anyway.errors.append("Tick this to book it all the same.")
            return None
    return details


def _clash_message(clashes: list[Appointment]) -> str:
    zone = current_user.time_zone
    spans = "; ".join(f"{local_day(a.starts_at, zone)}, {local_time(a.starts_at, zone, zone)} to "
                      f"{local_time(a.ends_at, zone, zone)}" for a in clashes[:3])
    who = clashes[0].practitioner.name
    return f"{who} already has an appointment then ({spans}). Choose another time, or tick “Book anyway”."


def _clash(form: AppointmentForm) -> bool:
    """Whether to offer "book anyway": after an overlap was found, or when it was ticked already."""
    return bool(form.book_anyway.errors or form.book_anyway.data)
