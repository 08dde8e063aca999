"""The audit trail's hash chain: each row's hash is SHA-256 over the previous row's hash and its own fields.

The chain runs over every workspace in id order. Editing a row's fields breaks its own hash; deleting or
inserting a row breaks the next row's link. `verify()` walks the table once, a batch at a time.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from app.audit.models import AuditChainHead, AuditEvent
from app.db import db

GENESIS = "0" * 64
VERIFY_BATCH = 1000


def canonical(workspace_id, actor_user_id, action, client_id, subject_type, subject_id, ip_address, user_agent,
              at: datetime, subject_user_id=None, detail=None) -> str:
    """The row's fields as one string, the same whichever database stored them."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return json.dumps([workspace_id, actor_user_id, action, client_id, subject_type, subject_id, ip_address,
                       user_agent, at.strftime("%Y-%m-%dT%H:%M:%S.%f"), subject_user_id, detail],
                      separators=(",", ":"), ensure_ascii=True)


def chained_hash(previous_hash: str, fields: str) -> str:
    return hashlib.sha256((previous_hash + fields).encode()).hexdigest()


def hash_of(previous_hash: str, event) -> str:
    return chained_hash(previous_hash, canonical(
        event.workspace_id, event.actor_user_id, event.action, event.client_id, event.subject_type,
        event.subject_id, event.ip_address, event.user_agent, event.at, event.subject_user_id, event.detail))


@dataclass
class Verdict:
    checked: int
    broken_id: int | None = None
    reason: str | None = None

    @property
    def holds(self) -> bool:
        return self.broken_id is None


def verify(batch: int = VERIFY_BATCH) -> Verdict:
    """Walk the chain from the first row; the first row whose link or hash is wrong, or None."""
    previous, checked, after = GENESIS, 0, 0
    while rows := db.session.scalars(select(AuditEvent).where(AuditEvent.id > after)
                                     .order_by(AuditEvent.id).limit(batch)).all():
        for row in rows:
            if row.previous_hash != previous:
                return Verdict(checked, row.id, "it does not follow the row before it (a row was removed, "
                                                "inserted or changed before it)")
            if row.row_hash != hash_of(previous, row):
                return Verdict(checked, row.id, "its fields do not match its hash (the row was changed)")
            previous, checked, after = row.row_hash, checked + 1, row.id
        db.session.expunge_all()
    head = db.session.get(AuditChainHead, 1)
    if checked and (head is None or head.last_hash != previous):
        return Verdict(checked, after, "it is not the newest row the chain head knows (rows after it were removed)")
    return Verdict(checked)
