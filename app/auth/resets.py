"""Password reset by e-mail, for staff and clients alike."""

from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.auth.models import PasswordReset, User
from app.auth.passwords import hash_password
from app.auth.sessions import end_sessions_of, find_user
from app.auth.tokens import digest
from app.db import db
from app.queue import enqueue

RESET_TTL = timedelta(hours=1)


class LinkProblem(Exception):
    """A one-time link that can't be used; the message is for the person who clicked it."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address has an account that may sign in; say nothing either way."""
    from jobs.passwords import send_password_reset_email

    user = find_user(email)
    if user is None or not user.is_active:
        return
    reset = PasswordReset(user_id=user.id, created_at=clock.now())
    db.session.add(reset)
    db.session.flush()
    enqueue(send_password_reset_email, reset.id)


def reset_for(token: str) -> tuple[PasswordReset, User]:
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest(token)))
    if reset is None:
        raise LinkProblem("This reset link isn't valid. Check that you copied the whole link, "
                          "or ask for a new one.", 404)
    if reset.used_at is not None:
        raise LinkProblem("This reset link has already been used. Ask for a new one if you need to.", 410)
    if reset.expires_at is None or reset.expires_at <= clock.now():
        raise LinkProblem("This reset link has expired. Ask for a new one: it comes at once.", 410)
    user = db.session.get(User, reset.user_id)
    if not user.is_active:
        raise LinkProblem("This account can't sign in any more. Contact your practice.", 410)
    return reset, user


def complete_password_reset(reset: PasswordReset, user: User, password: str) -> None:
    """Set the new password, use the link up, and sign every device out."""
    user.password_hash = hash_password(password)
    reset.used_at = clock.now()
    end_sessions_of(user)
