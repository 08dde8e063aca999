from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from app.db import db


class AuditEvent(db.Model):
    """Who read or changed what, when, from where. Append-only: rows are never updated or deleted.

    `subject_type`/`subject_id` name the item read or changed (a form response, a document) when there is one.
    Each row's `row_hash` covers `previous_hash` (the row before it, in id order) and its own fields, so that a
    row edited or removed behind the app's back breaks the chain from there on (see app.audit.chain).
    """

    __tablename__ = "audit_events"
    # The log's "Action" choices, one index probe per distinct action (app.audit.reading.actions_in), and the log
    # filtered by one action, newest first, read straight off the index.
    __table_args__ = (Index("ix_audit_events_workspace_id_action_id", "workspace_id", "action", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # the colleague acted on
    detail: Mapped[str | None] = mapped_column(String(200))  # "practitioner → admin", fields changed: never values
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None]
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(index=True)
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(db.Model):
    """One row: the hash of the newest audit event. Writers lock it, so the chain has one order."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_hash: Mapped[str] = mapped_column(String(64))


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("audit events are append-only")
