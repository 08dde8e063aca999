"""The e-mail a client gets when their online booking is made, requested, moved or cancelled, and when the practice
answers a request.

It says "appointment" and never the service (its name could tell what the client is being seen for): the time,
the practitioner, a link to the portal, and an .ics update of the appointment (same UID, the SEQUENCE it had then).
"""

from sqlalchemy import select

from app import clock
from app.appointments.models import Appointment, AppointmentNotice
from app.clients.models import Client
from app.db import db
from app.queue import enqueue

CHANGES = {"booked": "booked", "requested": "requested", "rescheduled": "moved", "cancelled": "cancelled",
           "declined": "declined"}


def tell_client(appointment: Appointment, change: str) -> AppointmentNotice | None:
    """Owe the client an e-mail about this change (sent by a job once the transaction commits)."""
    client = db.session.get(Client, appointment.client_id)
    if change not in CHANGES or not client.email:
        return None
    notice = AppointmentNotice(workspace_id=appointment.workspace_id, appointment_id=appointment.id, change=change,
                               email=client.email, starts_at=appointment.starts_at, sequence=appointment.sequence,
                               created_at=clock.now(), attempts=0)
    db.session.add(notice)
    db.session.flush()
    enqueue("jobs.appointments.send_appointment_notice", notice.id)
    return notice


def notices_of(appointment_id: int) -> list[AppointmentNotice]:
    return list(db.session.scalars(select(AppointmentNotice).where(AppointmentNotice.appointment_id == appointment_id)
                                   .order_by(AppointmentNotice.id)))
