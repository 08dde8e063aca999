"""Password reset by e-mail, for staff and clients alike."""

from datetime import timedelta

from sqlalchemy import select, update

from app import clock
from app.auth.models import PasswordReset, User
from app.auth.passwords import hash_password
from app.auth.sessions import end_sessions_of, normalise_email
from app.auth.tokens import digest
from app.db import db
from app.queue import enqueue

RESET_TTL = timedelta(hours=1)
USED_UP = "This reset link has already been used. Ask for a new one if you need to."


class LinkProblem(Exception):
    """A one-time link that can't be used; the message is for the person who clicked it."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def request_password_reset(email: str) -> None:
    """Record the request and hand it to the job, the same way for every address; the job finds the account.

    So neither the answer nor the work done for it tells whether the address has an account.
    Links mailed earlier for the same address stop working.
    """
    address, now = normalise_email(email), clock.now()
    db.session.execute(update(PasswordReset).where(
        PasswordReset.email == address, PasswordReset.used_at.is_(None), PasswordReset.revoked_at.is_(None),
    ).values(revoked_at=now))
    reset = PasswordReset(email=address, created_at=now)
    db.session.add(reset)
    db.session.flush()
    enqueue("jobs.passwords.send_password_reset_email", reset.id)


def reset_for(token: str) -> tuple[PasswordReset, User]:
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest(token)))
    if reset is None or reset.user_id is None:
        raise LinkProblem("This reset link isn't valid. Check that you copied the whole link, "
                          "or ask for a new one.", 404)
    if reset.used_at is not None:
        raise LinkProblem(USED_UP, 410)
    if reset.revoked_at is not None:
        raise LinkProblem("A newer reset link was sent since this one, so this one no longer works. "
                          "Use the link in the newest e-mail.", 410)
    if reset.expires_at is None or reset.expires_at <= clock.now():
        raise LinkProblem("This reset link has expired. Ask for a new one: it comes at once.", 410)
    user = db.session.get(User, reset.user_id)
    if not user.is_active:
        raise LinkProblem("This account can't sign in any more. Contact your practice.", 410)
    return reset, user


def complete_password_reset(reset: PasswordReset, user: User, password: str) -> None:
    """Use the link up, set the new password, and sign every device out.

    The link is claimed by one conditional UPDATE, so of several posts of one link at once exactly one
    sets the password; the others get LinkProblem (roll back before answering).
    """
    password_hash = hash_password(password)  # slow on purpose: done before the claim takes the row
    if not reset.use_up("used_at", clock.now()):
        raise LinkProblem(USED_UP, 410)
    user.password_hash = password_hash
    end_sessions_of(user)
