from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import db

KINDS = {"telehealth": "Telehealth", "in_person": "In person"}


class Appointment(db.Model):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    join_url: Mapped[str | None] = mapped_column(String(500))
    location: Mapped[str | None] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    practitioner: Mapped[User] = relationship()

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


LONGEST_APPOINTMENT = timedelta(hours=12)


def next_appointment(client_id: int, now: datetime) -> Appointment | None:
    """The client's next appointment that has not ended yet (one under way counts); cancelled ones left out."""
    soonest = db.session.scalars(
        select(Appointment)
        .where(Appointment.client_id == client_id, Appointment.cancelled_at.is_(None),
               Appointment.starts_at > now - LONGEST_APPOINTMENT)
        .order_by(Appointment.starts_at)
        .limit(5)
    )
    return next((a for a in soonest if a.ends_at > now), None)
