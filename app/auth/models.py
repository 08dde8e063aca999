from datetime import datetime

from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import EncryptedText, db
from app.mail import OwedEmail, OwedLinkEmail
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
    booking_notices: Mapped[str] = mapped_column(String(8), default="email", server_default="email")  # staff only
    created_at: Mapped[datetime]
    preferred_name: Mapped[str | None] = mapped_column(String(60))
    phone: Mapped[str | None] = mapped_column(EncryptedText)  # staff only: a client's phone is on the record
    chosen_time_zone: Mapped[str | None] = mapped_column(String(64))  # staff only: a client's is on the record
    # The authenticator app's shared secret: set while being set up, in use once mfa_enabled_at is set.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    mfa_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]  # the last time step a code was accepted for: no code works twice

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
        if self.preferred_name:
            return self.preferred_name
        return self.name.split()[0] if self.name.strip() else self.name

    @property
    def time_zone(self) -> str:
        if self.client:
            return self.client.time_zone
        return self.chosen_time_zone or self.workspace.time_zone

    @property
    def uses_mfa(self) -> bool:
        return self.mfa_enabled_at is not None and self.totp_secret is not None

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


class RecoveryCode(db.Model):
    """One of the ten codes that stand in for the authenticator app once each. Only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SignInChallenge(db.Model):
    """A sign-in half done: the password was right, the code from the authenticator app is still to come.

    The cookie holds a random token; this row (found by its hash) says whose it is and until when it holds.
    """

    __tablename__ = "sign_in_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class EmailChange(OwedLinkEmail, db.Model):
    """A new sign-in address asked for; it takes effect when the link mailed to that address is opened."""

    __tablename__ = "email_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    new_email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class EmailChangedNotice(OwedEmail, db.Model):
    """The e-mail to the old address saying the sign-in address was changed (in case it wasn't them)."""

    __tablename__ = "email_changed_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    old_email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]
