from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, bindparam, false, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from app.appointments.setup import Service
from app.auth.models import User
from app.clients.models import Client
from app.db import EncryptedText, db, prepared
from app.mail import OwedEmail

KINDS = {"telehealth": "Telehealth", "in_person": "In person"}
# requested: asked for from the portal in request mode, waiting for staff; booked: on the calendar;
# declined: a request staff turned down (it holds no time). Cancelling is cancelled_at, whatever the status.
STATUSES = {"requested": "Requested", "booked": "Booked", "declined": "Declined"}


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (UniqueConstraint("workspace_id", "request_key"),
                      Index("ix_appointments_practitioner_id_starts_at", "practitioner_id", "starts_at"),
                      Index("ix_appointments_client_id_starts_at", "client_id", "starts_at", "id"),
                      # covers the free-slot query (app/appointments/slots.py): no table reads for busy time
                      Index("ix_appointments_busy", "workspace_id", "practitioner_id", "starts_at", "duration_minutes",
                            "service_id", "status", "cancelled_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    join_url: Mapped[str | None] = mapped_column(String(500))
    location: Mapped[str | None] = mapped_column(EncryptedText)
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(EncryptedText)
    request_key: Mapped[str | None] = mapped_column(String(36))
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime | None]
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="booked", server_default="booked")  # a key of STATUSES
    decline_message: Mapped[str | None] = mapped_column(EncryptedText)  # staff's words to the client, if any
    # Made by the client from the portal. On PostgreSQL these never overlap for one practitioner (an exclusion
    # constraint, migration 0021); staff bookings are left out of it so that "book anyway" keeps working.
    booked_online: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    practitioner: Mapped[User] = relationship()
    client: Mapped[Client] = relationship()
    service: Mapped[Service | None] = relationship()

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


class AppointmentReminder(OwedEmail, db.Model):
    """The reminder e-mail for one start time. Rescheduling or cancelling supersedes it; a job sends it once."""

    __tablename__ = "appointment_reminders"
    __table_args__ = (UniqueConstraint("appointment_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    starts_at: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True)
    superseded_at: Mapped[datetime | None]

    appointment: Mapped[Appointment] = relationship()


class AppointmentNotice(OwedEmail, db.Model):
    """The e-mail telling a client their online booking was made, requested, moved or cancelled, with the .ics
    as it stood then (`starts_at`, `sequence`); a job sends it once and the sweep redoes a dropped one."""

    __tablename__ = "appointment_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    change: Mapped[str] = mapped_column(String(16))  # a key of app.appointments.notices.CHANGES
    email: Mapped[str] = mapped_column(String(320))
    starts_at: Mapped[datetime]
    sequence: Mapped[int]
    created_at: Mapped[datetime]

    appointment: Mapped[Appointment] = relationship()


LONGEST_APPOINTMENT = timedelta(hours=12)


def next_appointment(client_id: int, now: datetime) -> Appointment | None:
    """The client's next appointment that has not ended yet (one under way counts); cancelled ones left out."""
    soonest = db.session.scalars(_soonest_appointments(), {"client_id": client_id,
                                                             "since": now - LONGEST_APPOINTMENT})
    return next((a for a in soonest if a.ends_at > now), None)


@prepared
def _soonest_appointments():
    return (select(Appointment)
            .where(Appointment.client_id == bindparam("client_id"), Appointment.cancelled_at.is_(None),
                   Appointment.starts_at > bindparam("since"))
            .options(joinedload(Appointment.practitioner))  # the card names them: no second query
            .order_by(Appointment.starts_at)
            .limit(5))
