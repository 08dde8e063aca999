"""record(): one call per audited action, with who, when and from where filled in."""

from flask import has_request_context, request
from flask_login import current_user

from app import clock
from app.audit.models import AuditEvent
from app.db import db


def record(action: str, *, workspace_id: int | None, client_id: int | None = None,
           actor_user_id: int | None = None, detail: str | None = None) -> AuditEvent:
    """Add an audit row to the current transaction. The actor defaults to the signed-in user."""
    if actor_user_id is None and has_request_context() and current_user.is_authenticated:
        actor_user_id = current_user.id
    event = AuditEvent(
        workspace_id=workspace_id,
        actor_user_id=actor_user_id,
        action=action,
        detail=detail,
        client_id=client_id,
        ip_address=request.remote_addr if has_request_context() else None,
        user_agent=request.user_agent.string[:200] if has_request_context() else None,
        at=clock.now(),
    )
    db.session.add(event)
    return event
