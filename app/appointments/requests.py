"""Staff answer the clients' booking requests (Calendar → Requests), see the booking changes they were told of, and
choose how they hear of them (on their account page)."""

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.account.views import account_sections
from app.appointments.answering import AlreadyAnswered, approve_request, decline_request, pending_requests
from app.appointments.models import Appointment
from app.appointments.policy import may_answer_request, may_see_requests_of
from app.appointments.staff_notices import NOTICE_WAYS, choose_notice_way, mark_seen, notices_for, unseen_count
from app.auth.access import staff_required
from app.clients.service import active_staff_of
from app.db import db
from app.form_base import ButtonForm, PageForm, options, stripped
from app.pages import render, see_other
from app.paging import cursor_arg
from app.tenancy import get_or_404

bp = Blueprint("booking_requests", __name__)

DECLINE_MESSAGE_LIMIT = 500


class DeclineForm(PageForm):
    message = TextAreaField(
        "Message to the client (optional)", filters=[stripped], render_kw={"rows": 2},
        validators=[Length(max=DECLINE_MESSAGE_LIMIT, message=f"Use at most {DECLINE_MESSAGE_LIMIT} characters.")],
        description="Sent by e-mail: say nothing about their health, e.g. \"Please pick a time next week.\"")


class NoticeWayForm(PageForm):
    booking_notices = RadioField("Tell me of bookings from the portal", choices=options(NOTICE_WAYS.items()),
                                 validate_choice=True, validators=[DataRequired("Choose how you hear of bookings.")])


@bp.app_template_global()
def notice_way_form() -> NoticeWayForm:
    return NoticeWayForm(formdata=None, booking_notices=current_user.booking_notices)


@bp.get("/calendar/requests")
@staff_required
def index():
    who = request.args.get("who", "all" if may_see_requests_of(current_user, None) else str(current_user.id))
    staff = active_staff_of(current_user.workspace_id)
    practitioner = None if who == "all" else next((u for u in staff if str(u.id) == who), None)
    if who != "all" and practitioner is None:
        abort(404)
    if not may_see_requests_of(current_user, practitioner):
        abort(403)
    page = pending_requests(current_user.workspace_id, practitioner.id if practitioner else None,
                            cursor_arg(request.args.get("after")))
    return render("appointments/requests.html", "appointments/_requests.html", requests=page, who=who, staff=staff,
                  answer_form=ButtonForm(), decline_form=DeclineForm(formdata=None), notices=notices_for(current_user),
                  unseen=unseen_count(current_user), seen_form=ButtonForm())


def _request_or_404(appointment_id: int) -> Appointment:
    appointment = get_or_404(Appointment, appointment_id)
    if not may_answer_request(current_user, appointment):
        abort(404 if appointment.status != "requested" else 403)
    return appointment


@bp.post("/calendar/requests/<int:appointment_id>/approve")
@staff_required
def approve(appointment_id: int):
    appointment = _request_or_404(appointment_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _answered(lambda: approve_request(appointment, current_user),
                     f"Booked: {appointment.client.full_name} is on the calendar.")


@bp.post("/calendar/requests/<int:appointment_id>/decline")
@staff_required
def decline(appointment_id: int):
    appointment = _request_or_404(appointment_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return render("appointments/decline.html", appointment=appointment, form=form, http_status=422)
    return _answered(lambda: decline_request(appointment, current_user, form.message.data),
                     f"Declined the request of {appointment.client.full_name}.")


def _answered(answer, done: str):
    """Give the answer and say so, or say that a colleague (or another tab) answered first."""
    try:
        answer()
    except AlreadyAnswered:
        db.session.rollback()
        flash("That request was already answered.")
    else:
        db.session.commit()
        flash(done)
    return see_other(url_for("booking_requests.index"))


@bp.post("/calendar/requests/seen")
@staff_required
def seen():
    if not ButtonForm().validate_on_submit():
        abort(400)
    mark_seen(current_user)
    db.session.commit()
    return see_other(url_for("booking_requests.index"))


@bp.post("/account/booking-notices")
@staff_required
def notice_way():
    form = NoticeWayForm()
    if not form.validate_on_submit():
        return render("account/index.html", way_form=form, **account_sections(), http_status=422)
    choose_notice_way(current_user, form.booking_notices.data)
    db.session.commit()
    flash("Saved how you hear of bookings.")
    return see_other(url_for("my_account.index"))
