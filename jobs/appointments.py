from urllib.parse import urlsplit

from flask import current_app

from app import clock
from app.appointments.models import AppointmentNotice, AppointmentReminder
from app.appointments.service import Snapshot, calendar_file, reminder_still_wanted
from app.db import db
from app.mail import link_to, mail_from_practice
from jobs import job
from jobs.delivery import deliver_once, resend_due


@job
def send_appointment_reminder(reminder_id: int) -> None:
    """Mail the reminder if it is due; one that is early (a clock moved, a queue ran ahead) waits for the sweep."""
    reminder = db.session.get(AppointmentReminder, reminder_id)
    if reminder is None or reminder.due_at > clock.now():
        db.session.rollback()
        return
    db.session.rollback()
    deliver_once(AppointmentReminder, reminder_id, wanted=reminder_still_wanted, mail=_mail)


def _mail(reminder: AppointmentReminder) -> None:
    appointment = reminder.appointment
    client = appointment.client
    workspace = client.workspace
    mail_from_practice(workspace, reminder.email, "appointment_reminder", starts_at=appointment.starts_at,
                       time_zone=client.time_zone,
                       link=link_to("portal_appointments.index"))


def sweep_appointment_reminders() -> None:
    """Send the reminders that are due and that no job has sent (a dead worker, a restart, a Redis outage)."""
    resend_due(AppointmentReminder, send_appointment_reminder, AppointmentReminder.superseded_at.is_(None),
               AppointmentReminder.due_at <= clock.now(), AppointmentReminder.starts_at > clock.now())


@job
def send_appointment_notice(notice_id: int) -> None:
    """Tell the client about a change to their online booking, once, with its .ics update."""
    deliver_once(AppointmentNotice, notice_id, wanted=lambda notice: True, mail=_mail_notice)


NOTICE_STATUS = {"booked": "CONFIRMED", "requested": "TENTATIVE", "rescheduled": "CONFIRMED", "cancelled": "CANCELLED",
                 "declined": "CANCELLED"}


def _mail_notice(notice: AppointmentNotice) -> None:
    appointment = notice.appointment
    client = appointment.client
    workspace = client.workspace
    host = urlsplit(current_app.config["PORCH_BASE_URL"]).hostname or "localhost"
    method = "CANCEL" if NOTICE_STATUS[notice.change] == "CANCELLED" else "REQUEST"
    ics = calendar_file(appointment, workspace.name, host, white_label=workspace.white_label, method=method,
                        as_of=Snapshot(notice.starts_at, notice.sequence, NOTICE_STATUS[notice.change]))
    mail_from_practice(workspace, notice.email, f"appointment_{notice.change}", starts_at=notice.starts_at,
                       time_zone=client.time_zone, practitioner=appointment.practitioner.name,
                       link=link_to("portal_appointments.index"),
                       attachments=(("appointment.ics", "text/calendar", ics, {"method": method}),))


def sweep_appointment_notices() -> None:
    """Send the booking notices no job has sent (a dead worker, a restart, a Redis outage)."""
    resend_due(AppointmentNotice, send_appointment_notice)
