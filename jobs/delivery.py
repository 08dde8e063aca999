"""Sending an e-mail at most once, whoever runs the job and however often.

A job first claims the row with a single conditional UPDATE (so a queued job and a sweep can't
both send), makes the token, mails it, and records the outcome. A refusal is final; a passing
failure frees the row for the next try.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, update

from app import clock
from app.auth.tokens import new_token
from app.db import db
from app.mail import MailDeferred, MailRefused

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12


def claimable(model):
    """Rows of `model` that still need their e-mail and that no one is sending right now."""
    return (model.sent_at.is_(None), model.failed_at.is_(None),
            or_(model.claimed_until.is_(None), model.claimed_until < clock.now()))


def claim(model, row_id: int) -> bool:
    result = db.session.execute(
        update(model).where(model.id == row_id, *claimable(model))
        .values(claimed_until=clock.now() + CLAIM_LEASE, attempts=model.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def deliver_once(model, row_id: int, *, wanted: Callable, mail: Callable, after_sent: Callable | None = None) -> None:
    """Send row `row_id`'s e-mail unless it went already, is being sent, or is no longer `wanted`."""
    if not claim(model, row_id):
        return
    row = db.session.get(model, row_id)
    now = clock.now()
    if not wanted(row):
        row.failed_at, row.failure_reason, row.claimed_until = now, "No longer needed.", None
        db.session.commit()
        return
    try:
        mail(row)
    except MailRefused as refusal:
        row.claimed_until, row.failed_at, row.failure_reason = None, now, refusal.reason[:500]
        db.session.commit()
        log.info("%s %s refused by the mail server", model.__tablename__, row_id)
        return
    except MailDeferred as deferral:
        db.session.rollback()
        row = db.session.get(model, row_id)
        row.claimed_until, row.failure_reason = None, str(deferral)[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.failed_at = now
        db.session.commit()
        raise
    row.sent_at, row.claimed_until, row.failure_reason = now, None, None
    if after_sent is not None:
        after_sent(row)
    db.session.commit()


def mail_link_once(model, row_id: int, *, ttl: timedelta, wanted: Callable, mail: Callable,
                   after_sent: Callable | None = None) -> None:
    """Like deliver_once, for an e-mail carrying a one-time link: the token is made here, just before sending."""

    def with_new_token(row) -> None:
        token, row.token_hash = new_token()
        row.expires_at = clock.now() + ttl
        mail(row, token)

    deliver_once(model, row_id, wanted=wanted, mail=with_new_token, after_sent=after_sent)
