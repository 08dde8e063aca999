"""Mailing a notice (a form is waiting, an appointment is near) at most once, whoever runs the job.

The same claim as jobs.delivery: one conditional UPDATE takes the row, so a queued job and a sweep
can't both send. A refusal is final; a passing failure frees the row for the next try.
"""

import logging
from collections.abc import Callable

from app import clock
from app.db import db
from app.mail import MailDeferred, MailRefused
from jobs.delivery import MAX_ATTEMPTS, claim

log = logging.getLogger(__name__)


def mail_notice_once(model, row_id: int, *, wanted: Callable, mail: Callable) -> None:
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
    db.session.commit()
