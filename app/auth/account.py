"""What a person changes about their own login: profile, sign-in address, password, signed-in devices."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import ua_parser
from sqlalchemy import func, select, update

from app import clock
from app.auth.models import EmailChange, EmailChangedNotice, User, UserSession
from app.auth.passwords import hash_password
from app.auth.resets import LinkProblem
from app.auth.sessions import current_session, end_other_sessions_of, end_session, normalise_email
from app.auth.tokens import digest
from app.db import db
from app.queue import enqueue

EMAIL_CHANGE_TTL = timedelta(hours=24)
DEVICES_PER_PAGE = 20


def change_profile(user: User, *, preferred_name: str, phone: str, time_zone: str) -> None:
    """A client's phone and time zone live on their record (the practice sees them there); a staff member's here."""
    user.preferred_name = preferred_name.strip() or None
    if user.client is not None:
        user.client.phone = phone.strip() or None
        user.client.time_zone = time_zone
    else:
        user.phone = phone.strip() or None
        user.chosen_time_zone = time_zone


def profile_of(user: User) -> dict:
    phone = user.client.phone if user.client is not None else user.phone
    return {"preferred_name": user.preferred_name or "", "phone": phone or "", "time_zone": user.time_zone}


def ask_email_change(user: User, new_email: str) -> EmailChange:
    """Record the wish and have the job mail a link to the new address; earlier unconfirmed wishes stop working."""
    now = clock.now()
    db.session.execute(update(EmailChange).where(
        EmailChange.user_id == user.id, EmailChange.used_at.is_(None), EmailChange.revoked_at.is_(None),
    ).values(revoked_at=now))
    change = EmailChange(user_id=user.id, new_email=normalise_email(new_email), created_at=now)
    db.session.add(change)
    db.session.flush()
    enqueue("jobs.account.send_email_change_link", change.id)
    return change


def pending_email_change(user: User) -> EmailChange | None:
    return db.session.scalar(select(EmailChange).where(
        EmailChange.user_id == user.id, EmailChange.used_at.is_(None), EmailChange.revoked_at.is_(None),
        EmailChange.failed_at.is_(None)).order_by(EmailChange.id.desc()).limit(1))


def email_change_for(token: str) -> EmailChange:
    change = db.session.scalar(select(EmailChange).where(EmailChange.token_hash == digest(token)))
    if change is None:
        raise LinkProblem("This link isn't valid. Check that you copied the whole link.", 404)
    if change.used_at is not None:
        raise LinkProblem("This link has already been used: your sign-in address was changed.", 410)
    if change.revoked_at is not None:
        raise LinkProblem("You asked for another address since, so this link no longer works. "
                          "Use the link in the newest e-mail.", 410)
    if change.expires_at is None or change.expires_at <= clock.now():
        raise LinkProblem("This link has expired. Ask for the change again under Account.", 410)
    return change


def confirm_email_change(change: EmailChange) -> User:
    """Use the link up, move the login (and a client's record) to the new address, and tell the old one."""
    user = db.session.get(User, change.user_id)
    if not user.is_active:
        raise LinkProblem("This account can't sign in any more. Contact your practice.", 410)
    taken = db.session.scalar(select(func.count()).select_from(User).where(
        User.email == change.new_email, User.id != user.id))
    if taken:
        raise LinkProblem("Another account already signs in with this address, so it can't be used for this one.",
                          409)
    if not change.use_up():
        raise LinkProblem("This link has already been used: your sign-in address was changed.", 410)
    old_email = user.email
    user.email = change.new_email
    if user.client is not None and user.client.email == old_email:
        user.client.email = change.new_email
    notice = EmailChangedNotice(user_id=user.id, old_email=old_email, created_at=clock.now())
    db.session.add(notice)
    db.session.flush()
    enqueue("jobs.account.send_email_changed_notice", notice.id)
    return user


def change_password(user: User, new_password: str) -> None:
    """Set the new password and sign every other device out; this one stays signed in."""
    user.password_hash = hash_password(new_password)
    end_other_sessions_of(user)


@dataclass
class Device:
    id: int
    browser: str
    system: str
    first_active: datetime
    last_active: datetime
    this_device: bool


def devices_of(user: User, page: int) -> tuple[list[Device], bool]:
    """The user's signed-in devices, most recently active first, one page of them, and whether there are more."""
    current = current_session()
    rows = db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None),
    ).order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        .offset((page - 1) * DEVICES_PER_PAGE).limit(DEVICES_PER_PAGE + 1)).all()
    devices = [_device(row, current) for row in rows[:DEVICES_PER_PAGE]]
    return devices, len(rows) > DEVICES_PER_PAGE


def _device(row: UserSession, current: UserSession | None) -> Device:
    parsed = ua_parser.parse(row.user_agent or "")
    browser = parsed.user_agent.family if parsed.user_agent else "Unknown browser"
    if parsed.user_agent and parsed.user_agent.major:
        browser = f"{browser} {parsed.user_agent.major}"
    system = parsed.os.family if parsed.os else "unknown system"
    if parsed.os and parsed.os.major:
        system = f"{system} {parsed.os.major}"
    return Device(id=row.id, browser=browser, system=system, first_active=row.created_at,
                  last_active=row.last_seen_at, this_device=current is not None and row.id == current.id)


def own_device_or_none(user: User, device_id: int) -> UserSession | None:
    return db.session.scalar(select(UserSession).where(
        UserSession.id == device_id, UserSession.user_id == user.id, UserSession.ended_at.is_(None)))


def sign_out_device(row: UserSession) -> None:
    end_session(row)


def sign_out_other_devices(user: User) -> None:
    end_other_sessions_of(user)
