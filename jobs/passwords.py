from datetime import timedelta

from flask import current_app

from app import clock
from app.auth.models import PasswordReset, User
from app.auth.resets import RESET_TTL
from app.auth.sessions import find_user
from app.db import db
from app.mail import link_to, mail_from_practice
from jobs import job
from jobs.delivery import mail_link_once, resend_due


@job
def send_password_reset_email(reset_id: int) -> None:
    mail_link_once(PasswordReset, reset_id, ttl=RESET_TTL, wanted=_still_wanted, mail=_mail)


def sweep_password_resets() -> None:
    """Resets asked for within the retry window (an older one that never went would only mail a stale link)."""
    hours = timedelta(hours=current_app.config["PORCH_MAIL_RETRY_HOURS"])
    resend_due(PasswordReset, send_password_reset_email, PasswordReset.created_at > clock.now() - hours)


def _still_wanted(reset: PasswordReset) -> bool:
    """Whether the address asked for has an account that may sign in (found here, not when asked)."""
    if reset.used_at is not None or reset.revoked_at is not None:
        return False
    if reset.user_id is None:
        user = find_user(reset.email) if reset.email else None
        reset.user_id = user.id if user is not None else None
    return reset.user_id is not None and db.session.get(User, reset.user_id).is_active


def _mail(reset: PasswordReset, token: str) -> None:
    user = db.session.get(User, reset.user_id)
    workspace = user.workspace
    mail_from_practice(workspace, user.email, "password_reset", link=link_to("auth.reset_password", token=token),
                       expires_at=reset.expires_at, time_zone=user.time_zone)
