"""What a practice sets up for online booking: its services, each practitioner's hours, and the booking rules.

Weekly hours and exceptions are wall-clock times in the practitioner's own time zone (`User.time_zone`), so a
practitioner's "9:00 to 17:00 on Mondays" stays 9:00 local across a daylight-saving change.
"""
from datetime import date, datetime, time

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, String, Table, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import db

BOOKING_MODES = {"off": "Off", "requests": "Requests (staff approve or decline)", "instant": "Instant"}
EXCEPTION_KINDS = {"off": "Time off", "extra": "Extra hours"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

service_practitioners = Table(
    "service_practitioners",
    db.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Service(db.Model):
    """Something a client can be booked for: its length, price, where it happens and who offers it."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    duration_minutes: Mapped[int]
    price_minor: Mapped[int | None]  # in the currency's minor units (cents); None: no price shown
    currency: Mapped[str | None] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))  # a key of app.appointments.models.KINDS
    location: Mapped[str | None] = mapped_column(String(200))  # the practice's address for in-person services
    buffer_before_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    buffer_after_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    offered_online: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    practitioners: Mapped[list[User]] = relationship(secondary=service_practitioners, order_by=User.name)


class WeeklyHours(db.Model):
    """One stretch of a practitioner's usual week, e.g. Monday 09:00–12:30, in their own time zone."""

    __tablename__ = "weekly_hours"
    __table_args__ = (CheckConstraint("starts < ends", name="starts_before_ends"),
                      CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_in_week"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # 0 Monday … 6 Sunday, as date.weekday()
    starts: Mapped[time]
    ends: Mapped[time]

    practitioner: Mapped[User] = relationship()


class AvailabilityException(db.Model):
    """A change to one date: time off (the whole day when no times are given) or extra hours."""

    __tablename__ = "availability_exceptions"
    __table_args__ = (CheckConstraint("starts IS NULL OR ends IS NULL OR starts < ends", name="starts_before_ends"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(8))  # a key of EXCEPTION_KINDS
    starts: Mapped[time | None]
    ends: Mapped[time | None]

    practitioner: Mapped[User] = relationship()


class BookingRules(db.Model):
    """How a workspace takes bookings from the portal. A workspace without a row has online booking off."""

    __tablename__ = "booking_rules"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), default="off", server_default="off")  # a key of BOOKING_MODES
    min_notice_minutes: Mapped[int] = mapped_column(default=24 * 60, server_default=str(24 * 60))
    horizon_days: Mapped[int] = mapped_column(default=60, server_default="60")
    slot_step_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    change_cutoff_minutes: Mapped[int] = mapped_column(default=24 * 60, server_default=str(24 * 60))
    new_clients_may_book: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    phone: Mapped[str | None] = mapped_column(String(40))  # shown as "call the practice" past the cut-off
    updated_at: Mapped[datetime | None]


def booking_rules_for(workspace_id: int) -> BookingRules:
    """The workspace's rules, or the defaults (booking off) when it has never saved any; never written here."""
    return db.session.get(BookingRules, workspace_id) or BookingRules(
        workspace_id=workspace_id, mode="off", min_notice_minutes=24 * 60, horizon_days=60, slot_step_minutes=15,
        change_cutoff_minutes=24 * 60, new_clients_may_book=False)
