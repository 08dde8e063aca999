"""E-mails about a person's own account: the link that confirms a new sign-in address, and the notice to the old one."""

from datetime import timedelta

from flask import current_app

from app import clock
from app.auth.account import EMAIL_CHANGE_TTL
from app.auth.models import EmailChange, EmailChangedNotice, User
from app.db import db
from app.mail import link_to, mail_from_practice
from jobs import job
from jobs.delivery import deliver_once, mail_link_once, resend_due


@job
def send_email_change_link(change_id: int) -> None:
    mail_link_once(EmailChange, change_id, ttl=EMAIL_CHANGE_TTL, wanted=_change_still_wanted, mail=_mail_link)


@job
def send_email_changed_notice(notice_id: int) -> None:
    deliver_once(EmailChangedNotice, notice_id, wanted=lambda notice: True, mail=_mail_notice)


def sweep_account_emails() -> None:
    hours = timedelta(hours=current_app.config["PORCH_MAIL_RETRY_HOURS"])
    resend_due(EmailChange, send_email_change_link, EmailChange.created_at > clock.now() - hours)
    resend_due(EmailChangedNotice, send_email_changed_notice, EmailChangedNotice.created_at > clock.now() - hours)


def _change_still_wanted(change: EmailChange) -> bool:
    return change.used_at is None and change.revoked_at is None and db.session.get(User, change.user_id).is_active


def _mail_link(change: EmailChange, token: str) -> None:
    user = db.session.get(User, change.user_id)
    workspace = user.workspace
    mail_from_practice(workspace, change.new_email, "email_change",
                       link=link_to("my_account.confirm_email", token=token),
                       expires_at=change.expires_at, time_zone=user.time_zone)


def _mail_notice(notice: EmailChangedNotice) -> None:
    user = db.session.get(User, notice.user_id)
    workspace = user.workspace
    mail_from_practice(workspace, notice.old_email, "email_changed", login_link=link_to("auth.forgot_password"))
