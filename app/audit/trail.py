"""record(): one call per audited action, with who, when and from where filled in, chained to the row before."""

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select, update

from app import clock
from app.audit.chain import GENESIS, hash_of
from app.audit.models import AuditChainHead, AuditEvent
from app.db import db, insert_on_conflict


def record(action: str, *, workspace_id: int | None, client_id: int | None = None,
           actor_user_id: int | None = None, subject_user_id: int | None = None, detail: str | None = None,
           subject_type: str | None = None, subject_id: int | None = None) -> AuditEvent:
    """Add an audit row to the current transaction. The actor defaults to the signed-in user.

    The chain head is locked first (SELECT … FOR UPDATE on PostgreSQL; on SQLite the UPDATE takes the
    database's one write lock), so that concurrent writers chain their rows one after another, and the row is
    inserted while the lock is held, so that id order is chain order.
    """
    if actor_user_id is None and has_request_context() and current_user.is_authenticated:
        actor_user_id = current_user.id
    event = AuditEvent(
        workspace_id=workspace_id,
        actor_user_id=actor_user_id,
        action=action,
        client_id=client_id,
        subject_user_id=subject_user_id,
        detail=detail,
        subject_type=subject_type,
        subject_id=subject_id,
        ip_address=request.remote_addr if has_request_context() else None,
        user_agent=request.user_agent.string[:200] if has_request_context() else None,
        at=clock.now(),
    )
    previous = _lock_chain_head()
    event.previous_hash = previous
    event.row_hash = hash_of(previous, event)
    db.session.add(event)
    db.session.flush()
    db.session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=event.row_hash))
    return event


def _lock_chain_head() -> str:
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=AuditChainHead.last_hash))
    head = select(AuditChainHead.last_hash).where(AuditChainHead.id == 1).with_for_update()
    last = session.scalar(head)
    if last is None:  # an empty database made without the migrations' head row: the first writer makes it
        session.execute(insert_on_conflict(AuditChainHead).values(id=1, last_hash=GENESIS).on_conflict_do_nothing())
        last = session.scalar(head)
    return last
