"""Settings for online booking: the rules (Workspace settings → Online booking), the services, and each
practitioner's availability (their weekly hours and exceptions)."""

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from app.appointments.policy import may_set_hours_of, may_set_up_booking
from app.appointments.setup import EXCEPTION_KINDS, WEEKDAYS, AvailabilityException, Service, booking_rules_for
from app.appointments.setup_forms import (
    STRETCHES_PER_DAY,
    BookingRulesForm,
    ExceptionForm,
    ServiceForm,
    WeeklyHoursForm,
    price_text,
)
from app.appointments.setup_service import (
    add_exception,
    booked_soon,
    exceptions_of,
    practitioners_by_id,
    remove_exception,
    retire_service,
    save_booking_rules,
    save_service,
    services_of,
    set_weekly_hours,
    weekly_hours_of,
)
from app.auth.access import staff_required
from app.auth.models import User
from app.clients.service import active_staff_of
from app.db import db
from app.form_base import ButtonForm, options
from app.pages import render, see_other
from app.tenancy import get_or_404

bp = Blueprint("practice_setup", __name__, url_prefix="/settings")

MINUTES_PER_HOUR = 60


def _admins_only() -> None:
    if not may_set_up_booking(current_user):
        abort(403)


@bp.route("/online-booking", methods=["GET", "POST"])
@staff_required
def online_booking():
    _admins_only()
    workspace = current_user.workspace
    rules = booking_rules_for(workspace.id)
    services = services_of(workspace.id)
    form = BookingRulesForm(data={
        "mode": rules.mode, "min_notice_hours": rules.min_notice_minutes // MINUTES_PER_HOUR,
        "horizon_days": rules.horizon_days, "slot_step_minutes": rules.slot_step_minutes,
        "change_cutoff_hours": rules.change_cutoff_minutes // MINUTES_PER_HOUR,
        "new_clients_may_book": rules.new_clients_may_book, "phone": rules.phone or "",
        "services": [s.id for s in services if s.offered_online]})
    form.services.choices = options((s.id, s.name) for s in services)
    if form.validate_on_submit():
        save_booking_rules(
            workspace, mode=form.mode.data, min_notice_minutes=form.min_notice_hours.data * MINUTES_PER_HOUR,
            horizon_days=form.horizon_days.data, slot_step_minutes=form.slot_step_minutes.data,
            change_cutoff_minutes=form.change_cutoff_hours.data * MINUTES_PER_HOUR,
            new_clients_may_book=form.new_clients_may_book.data, phone=form.phone.data,
            online_service_ids=set(form.services.data or []))
        db.session.commit()
        flash("Online booking saved.")
        return see_other(url_for("practice_setup.online_booking"))
    return render("settings/online_booking.html", form=form, http_status=422 if form.is_submitted() else 200)


# --- services -----------------------------------------------------------------------------------

@bp.get("/services")
@staff_required
def services():
    _admins_only()
    return render("settings/services.html", services=services_of(current_user.workspace_id, with_retired=True),
                  retire_form=ButtonForm())


def _service_form(service: Service) -> ServiceForm:
    form = ServiceForm(data={
        "name": service.name, "duration_minutes": service.duration_minutes, "price": price_text(service.price_minor),
        "kind": service.kind or "telehealth", "location": service.location or "",
        "practitioners": [u.id for u in service.practitioners], "buffer_before_minutes": service.buffer_before_minutes,
        "buffer_after_minutes": service.buffer_after_minutes})
    form.practitioners.choices = options((u.id, u.name) for u in active_staff_of(current_user.workspace_id))
    return form


def _save(service: Service, form: ServiceForm, notice: str):
    save_service(service, name=form.name.data, duration_minutes=form.duration_minutes.data,
                 price_minor=form.price_minor, currency=current_user.workspace.currency, kind=form.kind.data,
                 location=form.location.data, buffer_before_minutes=form.buffer_before_minutes.data,
                 buffer_after_minutes=form.buffer_after_minutes.data,
                 practitioners=practitioners_by_id(current_user.workspace_id, form.practitioners.data or []))
    db.session.commit()
    flash(notice)
    return see_other(url_for("practice_setup.services"))


@bp.route("/services/new", methods=["GET", "POST"])
@staff_required
def new_service():
    _admins_only()
    service = Service(workspace_id=current_user.workspace_id, duration_minutes=50, buffer_before_minutes=0,
                      buffer_after_minutes=0, offered_online=False)
    form = _service_form(service)
    if form.validate_on_submit():
        return _save(service, form, f"{form.name.data} was added.")
    return render("settings/service.html", form=form, service=None, http_status=422 if form.is_submitted() else 200)


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
@staff_required
def edit_service(service_id: int):
    service = get_or_404(Service, service_id)
    _admins_only()
    form = _service_form(service)
    if form.validate_on_submit():
        return _save(service, form, f"{form.name.data} was saved.")
    return render("settings/service.html", form=form, service=service, retire_form=ButtonForm(),
                  http_status=422 if form.is_submitted() else 200)


@bp.post("/services/<int:service_id>/retire")
@staff_required
def retire(service_id: int):
    service = get_or_404(Service, service_id)
    _admins_only()
    if not ButtonForm().validate_on_submit():
        abort(400)
    retire_service(service)
    db.session.commit()
    flash(f"{service.name} was retired: it is no longer offered; its appointments keep it.")
    return see_other(url_for("practice_setup.services"))


# --- availability -------------------------------------------------------------------------------

@bp.get("/availability")
@staff_required
def availability_index():
    if not may_set_up_booking(current_user):
        return see_other(url_for("practice_setup.availability", user_id=current_user.id))
    return render("settings/availability_index.html", staff=active_staff_of(current_user.workspace_id))


def _practitioner_or_404(user_id: int) -> User:
    practitioner = get_or_404(User, user_id)
    if not practitioner.is_staff:
        abort(404)
    if not may_set_hours_of(current_user, practitioner):
        abort(403)
    return practitioner


def _hours_form(practitioner: User) -> WeeklyHoursForm:
    data = {}
    for weekday, stretches in weekly_hours_of(practitioner).items():
        for n, stretch in enumerate(stretches[:STRETCHES_PER_DAY]):
            data[f"d{weekday}_{n}_starts"], data[f"d{weekday}_{n}_ends"] = stretch.starts, stretch.ends
    return WeeklyHoursForm(data=data)


def _availability_page(practitioner: User, hours_form=None, exception_form=None, http_status: int = 200):
    return render("settings/availability.html", practitioner=practitioner, weekdays=WEEKDAYS,
                  hours_form=hours_form or _hours_form(practitioner), kinds=EXCEPTION_KINDS,
                  exception_form=exception_form or ExceptionForm(formdata=None, kind="off"),
                  exceptions=exceptions_of(practitioner), booked=booked_soon(practitioner),
                  remove_form=ButtonForm(), http_status=http_status)


@bp.route("/availability/<int:user_id>", methods=["GET", "POST"])
@staff_required
def availability(user_id: int):
    practitioner = _practitioner_or_404(user_id)
    form = WeeklyHoursForm() if request.method == "POST" else _hours_form(practitioner)
    if form.validate_on_submit():
        set_weekly_hours(practitioner, form.chosen())
        db.session.commit()
        flash("Weekly hours saved.")
        return see_other(url_for("practice_setup.availability", user_id=practitioner.id))
    return _availability_page(practitioner, hours_form=form, http_status=422 if form.is_submitted() else 200)


@bp.post("/availability/<int:user_id>/exceptions")
@staff_required
def new_exception(user_id: int):
    practitioner = _practitioner_or_404(user_id)
    form = ExceptionForm()
    if not form.validate_on_submit():
        return _availability_page(practitioner, exception_form=form, http_status=422)
    add_exception(practitioner, day=form.day.data, kind=form.kind.data, starts=form.starts.data, ends=form.ends.data)
    db.session.commit()
    flash("Exception added.")
    return see_other(url_for("practice_setup.availability", user_id=practitioner.id))


@bp.post("/availability/<int:user_id>/exceptions/<int:exception_id>/remove")
@staff_required
def drop_exception(user_id: int, exception_id: int):
    practitioner = _practitioner_or_404(user_id)
    exception = get_or_404(AvailabilityException, exception_id)
    if exception.practitioner_id != practitioner.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    remove_exception(exception)
    db.session.commit()
    flash("Exception removed.")
    return see_other(url_for("practice_setup.availability", user_id=practitioner.id))
