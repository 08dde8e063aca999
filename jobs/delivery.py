"""Sending an e-mail at most once, whoever runs the job and however often.

A job first claims the row with a single conditional UPDATE (so a queued job and a sweep can't
both send), and records the outcome. A refusal (5xx) is final; a passing failure (4xx, no
connection, a timeout) waits for its next try, after 1, 2, 5, 10 and 30 minutes and then hourly,
until PORCH_MAIL_RETRY_HOURS have gone by. Each claim is one attempt: a job or sweep that comes
before the next try is due claims nothing.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from app import clock
from app.auth.tokens import new_token
from app.db import db
from app.mail import MailDeferred, MailRefused, OwedEmail, OwedLinkEmail

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)  # the default of PORCH_MAIL_CLAIM_LEASE_SECONDS
BACKOFF = [timedelta(minutes=m) for m in (1, 2, 5, 10, 30)]
THEN_EVERY = timedelta(hours=1)


def due(model: type[OwedEmail]) -> tuple:
    """Rows of `model` that still need their e-mail, whose next try is due, and that no one is sending right now."""
    now = clock.now()
    return (model.sent_at.is_(None), model.failed_at.is_(None),
            or_(model.claimed_until.is_(None), model.claimed_until < now),
            or_(model.next_attempt_at.is_(None), model.next_attempt_at <= now))


def claim(model: type[OwedEmail], row_id: int) -> bool:
    result = db.session.execute(
        update(model).where(model.id == row_id, *due(model))
        .values(claimed_until=clock.now() + claim_lease(), attempts=model.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def claim_lease() -> timedelta:
    """How long a claim keeps others off a row: after it, a sweep takes over the send of a worker that died."""
    return timedelta(seconds=current_app.config["PORCH_MAIL_CLAIM_LEASE_SECONDS"])


def next_try(attempts: int, now: datetime) -> datetime:
    return now + (BACKOFF[attempts - 1] if attempts <= len(BACKOFF) else THEN_EVERY)


def deliver_once(model: type[OwedEmail], row_id: int, *, wanted: Callable, mail: Callable,
                 after_sent: Callable | None = None, prepare: Callable | None = None) -> None:
    """Send row `row_id`'s e-mail unless it went already, is being sent, isn't due, or is no longer `wanted`.

    `prepare(row)` runs and is committed before the mail leaves, so a worker killed mid-send leaves it recorded.
    """
    if not claim(model, row_id):
        return
    row = db.session.get(model, row_id)
    now = clock.now()
    if not wanted(row):
        row.mark_failed(now, "No longer needed.")
        db.session.commit()
        return
    row.trying_since = row.trying_since or now
    if prepare is not None:
        prepare(row)
    db.session.commit()
    try:
        mail(row)
    except MailRefused as refusal:
        row.mark_failed(now, refusal.reason)
        db.session.commit()
        log.info("%s %s refused by the mail server", model.__tablename__, row_id)
        return
    except MailDeferred as deferral:
        db.session.rollback()
        _try_again_later(db.session.get(model, row_id), str(deferral), now)
        return
    row.mark_sent(now)
    if after_sent is not None:
        after_sent(row)
    db.session.commit()


def _try_again_later(row: OwedEmail, reason: str, now: datetime) -> None:
    hours = current_app.config["PORCH_MAIL_RETRY_HOURS"]
    if now >= row.trying_since + timedelta(hours=hours):
        row.mark_failed(now, f"The mail server kept deferring it for {hours:g} hours; last: {reason}")
        log.warning("%s %s given up after %s attempts", row.__tablename__, row.id, row.attempts)
    else:
        row.retry_at(next_try(row.attempts, now), reason)
        log.warning("%s %s deferred; next try at %s", row.__tablename__, row.id, row.next_attempt_at)
    db.session.commit()


def mail_link_once(model: type[OwedLinkEmail], row_id: int, *, ttl: timedelta, wanted: Callable, mail: Callable,
                   after_sent: Callable | None = None) -> None:
    """Like deliver_once, for an e-mail carrying a one-time link. The link is made on the first try and recorded
    before it is mailed; a retry mails the same link while it has not expired."""

    def keep_link(row: OwedLinkEmail) -> None:
        if row.sealed_token is None or row.expires_at is None or row.expires_at <= clock.now():
            row.sealed_token, row.token_hash = new_token()
            row.expires_at = clock.now() + ttl

    deliver_once(model, row_id, wanted=wanted, mail=lambda row: mail(row, row.sealed_token),
                 after_sent=after_sent, prepare=keep_link)


def resend_due(model: type[OwedEmail], send: Callable[[int], None], *where) -> None:
    """Run `send(id)` for every row of `model` (narrowed by `where`) whose e-mail is due: a job was lost
    (a dead worker, a restart, a Redis outage) or the next try after a passing failure has come."""
    ids = db.session.scalars(select(model.id).where(*where, *due(model))).all()
    db.session.commit()
    for row_id in ids:
        send(row_id)
