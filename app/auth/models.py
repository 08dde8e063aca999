from datetime import datetime

from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import db
from app.mail import OwedLinkEmail
from app.tenancy import Workspace

STAFF_ROLES = ("owner", "admin", "practitioner")


class User(db.Model):
    """A login: a staff member of one workspace, or a client's portal account (made only by an invite)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(16))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), unique=True)
    disabled_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    message_emails: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime]

    workspace: Mapped[Workspace] = relationship(lazy="joined")
    client: Mapped["Client | None"] = relationship(foreign_keys=[client_id])  # noqa: F821

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def is_staff(self) -> bool:
        return self.client_id is None

    @property
    def is_client(self) -> bool:
        return self.client_id is not None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name

    @property
    def time_zone(self) -> str:
        return self.client.time_zone if self.client else self.workspace.time_zone

    def get_id(self) -> str:
        return str(self.id)


class UserSession(db.Model):
    """A signed-in device. The cookie holds a random token; only its hash is stored here."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str | None] = mapped_column(String(200))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class PasswordReset(OwedLinkEmail, db.Model):
    """A reset asked for, with the address as typed (normalised), whether or not it has an account.

    The job finds the account (`user_id`) and mails the link, or does nothing; so asking answers
    the same way for every address. Its token is made by that job; the hash finds it (see OwedLinkEmail).
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
