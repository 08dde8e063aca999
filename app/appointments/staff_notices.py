"""Telling a practitioner that a client booked, asked for, moved or cancelled an appointment: by e-mail or only in
Porch (the requests page), as the practitioner prefers. Neither says more than the client's first name and initial,
the time and a link."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from app import clock
from app.appointments.models import Appointment
from app.auth.models import User
from app.db import db
from app.mail import OwedEmail
from app.queue import enqueue

CHANGES = {"booked": "booked an appointment", "requested": "asked for an appointment",
           "rescheduled": "moved an appointment", "cancelled": "cancelled an appointment"}
# How a practitioner hears of bookings from the portal (users.booking_notices).
NOTICE_WAYS = {"email": "By e-mail, and on the requests page", "porch": "Only on the requests page in Porch"}
NOTICES_SHOWN = 20


class PracticeNotice(OwedEmail, db.Model):
    """One change a practitioner is told of; `email` is set when it is also owed by e-mail."""

    __tablename__ = "practice_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    change: Mapped[str] = mapped_column(String(16))  # a key of CHANGES
    starts_at: Mapped[datetime]  # the appointment's start when it changed (it may move again)
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime]
    seen_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    appointment: Mapped[Appointment] = relationship()

    @property
    def what(self) -> str:
        return CHANGES[self.change]

    @property
    def who(self) -> str:
        return short_name(self.appointment)


def short_name(appointment: Appointment) -> str:
    """ "Aisha R.": enough for the practitioner to know whom, no more."""
    client = appointment.client
    return f"{client.first_name} {client.last_name[:1]}.".strip() if client.last_name else client.first_name


def tell_practice(appointment: Appointment, change: str) -> PracticeNotice | None:
    """Tell the appointment's practitioner of a change made from the portal, in the caller's transaction."""
    if change not in CHANGES:
        raise ValueError(f"not a booking change: {change}")
    practitioner = appointment.practitioner
    if not practitioner.is_active:
        return None
    notice = PracticeNotice(workspace_id=appointment.workspace_id, user_id=practitioner.id,
                            appointment_id=appointment.id, change=change, starts_at=appointment.starts_at,
                            email=practitioner.email if practitioner.booking_notices == "email" else None,
                            created_at=clock.now(), attempts=0)
    db.session.add(notice)
    db.session.flush()
    if notice.email:
        enqueue("jobs.booking_notices.send_practice_notice", notice.id)
    return notice


def notices_for(user: User) -> list[PracticeNotice]:
    """The newest changes the user was told of."""
    return list(db.session.scalars(
        select(PracticeNotice).where(PracticeNotice.user_id == user.id)
        .options(selectinload(PracticeNotice.appointment).selectinload(Appointment.client))
        .order_by(PracticeNotice.created_at.desc(), PracticeNotice.id.desc()).limit(NOTICES_SHOWN)))


def unseen_count(user: User) -> int:
    return db.session.scalar(select(func.count(PracticeNotice.id)).where(
        PracticeNotice.user_id == user.id, PracticeNotice.seen_at.is_(None)))


def mark_seen(user: User) -> None:
    db.session.execute(update(PracticeNotice).where(PracticeNotice.user_id == user.id,
                                                    PracticeNotice.seen_at.is_(None)).values(seen_at=clock.now()))


def choose_notice_way(user: User, way: str) -> None:
    user.booking_notices = way
