"""Booking in the client portal: service → practitioner (or anyone) → a free time in the client's week → confirm;
and rescheduling or cancelling the client's own appointment while the practice's window is open.

Every step is a plain link or form (no JavaScript needed); the rules themselves live in app.appointments.booking.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from app import clock
from app.appointments.booking import (
    BookingRefused,
    SlotTaken,
    book_online,
    cancel_online,
    change_window_open,
    may_book_online,
    may_reschedule_online,
    practitioners_of,
    reschedule_online,
    services_online,
    why_change_closed,
    why_client_may_not_book,
)
from app.appointments.models import Appointment
from app.appointments.setup import Service, booking_rules_for
from app.appointments.slots import open_slots
from app.auth.access import client_required
from app.db import db
from app.form_base import ButtonForm, OnceForm
from app.formatting import local_day, local_time
from app.pages import render, see_other
from app.tenancy import get_or_404, own_or_404

bp = Blueprint("portal_booking", __name__, url_prefix="/portal")

ANYONE = "anyone"
SLOT_FORMAT = "%Y-%m-%dT%H:%MZ"  # a start in a link: UTC, to the minute
WEEK = timedelta(days=7)


# --- booking ---------------------------------------------------------------------------------------

@bp.get("/book")
@client_required
def services():
    client = current_user.client
    reason = why_client_may_not_book(client)
    return render("appointments/book_services.html", reason=reason, rules=booking_rules_for(client.workspace_id),
                  services=services_online(client.workspace_id) if reason is None else [])


@bp.get("/book/<int:service_id>")
@client_required
def practitioners(service_id: int):
    service = _bookable_service_or_404(service_id)
    return render("appointments/book_practitioners.html", service=service, practitioners=practitioners_of(service))


@bp.get("/book/<int:service_id>/times")
@client_required
def times(service_id: int):
    service = _bookable_service_or_404(service_id)
    who = _who_or_404(service, request.args.get("with", ANYONE))
    week = _week(request.args.get("from"))
    return render("appointments/book_times.html", service=service, who=who, **_slot_week(
        service, who, week, lambda start: url_for(".confirm", service_id=service.id, at=start.strftime(SLOT_FORMAT),
                                                  **{"with": who.id if who else ANYONE}),
        lambda day: url_for(".times", service_id=service.id, **{"with": who.id if who else ANYONE,
                                                                 "from": day.isoformat()})))


@bp.route("/book/<int:service_id>/confirm", methods=["GET", "POST"])
@client_required
def confirm(service_id: int):
    service = _bookable_service_or_404(service_id)
    values = request.form if request.method == "POST" else request.args
    who, starts_at = _who_or_404(service, values.get("with", ANYONE)), _start(values.get("at"))
    if starts_at is None:
        return see_other(url_for(".times", service_id=service.id))
    form = OnceForm()
    if form.validate_on_submit():
        try:
            appointment = book_online(current_user.client, service, who.id if who else None, starts_at,
                                      form.request_key.data)
        except SlotTaken as taken:
            return _taken(taken, lambda start, pid: url_for(".confirm", service_id=service.id, at=start.strftime(
                SLOT_FORMAT), **{"with": pid if who else ANYONE}))
        except BookingRefused as refusal:
            db.session.rollback()
            return _confirm_page(service, who, starts_at, form, str(refusal), 422)
        db.session.commit()
        flash(_booked_notice(appointment))
        return see_other(url_for("portal_appointments.index", _anchor=f"appointment-{appointment.id}"))
    return _confirm_page(service, who, starts_at, form, None, 400 if request.method == "POST" else 200)


# --- rescheduling and cancelling -------------------------------------------------------------------

@bp.get("/appointments/<int:appointment_id>/reschedule")
@client_required
def reschedule(appointment_id: int):
    appointment = own_or_404(Appointment, appointment_id)
    if not may_reschedule_online(appointment):
        return _closed(appointment, "reschedule", http_status=200)
    week = _week(request.args.get("from"))
    return render("appointments/reschedule_times.html", appointment=appointment, **_slot_week(
        appointment.service, appointment.practitioner, week,
        lambda start: url_for(".confirm_reschedule", appointment_id=appointment.id, at=start.strftime(SLOT_FORMAT)),
        lambda day: url_for(".reschedule", appointment_id=appointment.id, **{"from": day.isoformat()})))


@bp.route("/appointments/<int:appointment_id>/reschedule/confirm", methods=["GET", "POST"])
@client_required
def confirm_reschedule(appointment_id: int):
    appointment = own_or_404(Appointment, appointment_id)
    starts_at = _start((request.form if request.method == "POST" else request.args).get("at"))
    if starts_at is None:
        return see_other(url_for(".reschedule", appointment_id=appointment.id))
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            reschedule_online(appointment, starts_at)
        except SlotTaken as taken:
            return _taken(taken, lambda start, _: url_for(".confirm_reschedule", appointment_id=appointment.id,
                                                          at=start.strftime(SLOT_FORMAT)))
        except BookingRefused:
            db.session.rollback()
            return _closed(appointment, "reschedule", http_status=409)
        db.session.commit()
        flash(f"Moved: {_when(appointment.starts_at)} with {appointment.practitioner.name}.")
        return see_other(url_for("portal_appointments.index", _anchor=f"appointment-{appointment.id}"))
    if not may_reschedule_online(appointment):
        return _closed(appointment, "reschedule", http_status=200 if request.method == "GET" else 409)
    return render("appointments/reschedule_confirm.html", appointment=appointment, starts_at=starts_at, form=form,
                  http_status=400 if request.method == "POST" else 200)


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
@client_required
def cancel(appointment_id: int):
    appointment = own_or_404(Appointment, appointment_id)
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            cancel_online(appointment)
        except BookingRefused:
            db.session.rollback()
            return _closed(appointment, "cancel", http_status=409)
        db.session.commit()
        flash(f"Cancelled: {_when(appointment.starts_at)} with {appointment.practitioner.name}.")
        return see_other(url_for("portal_appointments.index"))
    if not change_window_open(appointment):
        return _closed(appointment, "cancel", http_status=200 if request.method == "GET" else 409)
    return render("appointments/cancel_confirm.html", appointment=appointment, form=form,
                  http_status=400 if request.method == "POST" else 200)


# --- pieces ----------------------------------------------------------------------------------------

def _bookable_service_or_404(service_id: int) -> Service:
    """A service this client may book online; 404 otherwise (also when online booking isn't open to them)."""
    service = get_or_404(Service, service_id)
    if not may_book_online(current_user.client) or service not in services_online(service.workspace_id):
        abort(404)
    return service


def _who_or_404(service: Service, chosen: str | None):
    if chosen in (None, "", ANYONE):
        return None
    found = next((p for p in practitioners_of(service) if str(p.id) == chosen), None)
    if found is None:
        abort(404)
    return found


def _start(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value or "", SLOT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _week(value: str | None) -> date:
    """The first day of the week shown, in the client's zone: today unless a later day is asked for."""
    today = clock.now().astimezone(ZoneInfo(current_user.time_zone)).date()
    try:
        asked = date.fromisoformat(value or "")
    except ValueError:
        return today
    return max(today, min(asked, today + timedelta(days=366)))


def _slot_week(service: Service, who, first_day: date, slot_url, week_url) -> dict:
    """A week of free starts from `first_day`, grouped by the client's days (midnight to midnight where they are,
    so a daylight-saving change moves nothing), with links to the weeks before and after."""
    zone = ZoneInfo(current_user.time_zone)
    start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first_day + WEEK, time(0), tzinfo=zone).astimezone(UTC)
    starts = sorted({s for found in open_slots(service, who, start, end).values() for s in found})
    days: dict[date, list[datetime]] = {}
    for s in starts:
        days.setdefault(s.astimezone(zone).date(), []).append(s)
    rules = booking_rules_for(service.workspace_id)
    today = clock.now().astimezone(zone).date()
    last_day = (clock.now() + timedelta(days=rules.horizon_days)).astimezone(zone).date()
    return {"days": days, "first_day": first_day, "last_shown": first_day + WEEK - timedelta(days=1),
            "slot_url": slot_url, "tz": current_user.time_zone,
            "earlier_url": week_url(max(today, first_day - WEEK)) if first_day > today else None,
            "later_url": week_url(first_day + WEEK) if first_day + WEEK <= last_day else None}


def _confirm_page(service: Service, who, starts_at: datetime, form: OnceForm, problem: str | None, http_status: int):
    return render("appointments/book_confirm.html", service=service, who=who, starts_at=starts_at, form=form,
                  problem=problem, rules_mode=booking_rules_for(service.workspace_id).mode, http_status=http_status)


def _taken(taken: SlotTaken, slot_url):
    db.session.rollback()
    return render("appointments/book_taken.html", next_slots=taken.next_slots, slot_url=slot_url,
                  tz=current_user.time_zone, http_status=409)


def _closed(appointment: Appointment, action: str, http_status: int):
    rules = booking_rules_for(appointment.workspace_id)
    return render("appointments/change_closed.html", appointment=appointment, action=action, rules=rules,
                  closed_reason=why_change_closed, tz=current_user.time_zone, http_status=http_status)


def _when(moment: datetime) -> str:
    zone = current_user.time_zone
    return f"{local_day(moment, zone)}, {local_time(moment, zone)}"


def _booked_notice(appointment: Appointment) -> str:
    if appointment.status == "requested":
        return (f"Requested — the practice will confirm: {_when(appointment.starts_at)} with "
                f"{appointment.practitioner.name}.")
    return f"Booked: {_when(appointment.starts_at)} with {appointment.practitioner.name}."
