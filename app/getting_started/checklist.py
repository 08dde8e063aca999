"""Getting started: five steps a new practice takes, each ticked by what the data shows (nothing is stored but the
owner's choice to put the list away)."""

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import exists, select

from app import clock
from app.audit.models import AuditEvent
from app.audit.trail import record
from app.branding.models import Branding
from app.clients.models import PortalInvite
from app.db import db
from app.documents.models import Document
from app.forms.models import FormRequest
from app.getting_started.policy import sees_getting_started

STEPS = 5


@dataclass(frozen=True)
class Step:
    title: str
    how: str
    url: str
    done: bool


def getting_started(user) -> list[Step] | None:
    """The checklist for this user's home, or None when there is none to show (not an owner, or put away)."""
    workspace = user.workspace
    if not sees_getting_started(user) or workspace.getting_started_dismissed_at is not None:
        return None
    ws = workspace.id
    return [
        Step("Brand your portal", "Your logo, colour and welcome, so clients know it is you.",
             url_for("branding.settings"), _any(select(Branding).where(Branding.workspace_id == ws))),
        Step("Choose how clients may write", "Reply only, never, to their own practitioners, or to anyone.",
             url_for("settings.communications"),
             _any(select(AuditEvent).where(AuditEvent.workspace_id == ws,
                                           AuditEvent.action == "settings.communications_changed"))),
        Step("Invite clients to the portal", "Turn on automatic invites, or send a first one from a client record.",
             url_for("settings.workflows"),
             workspace.automate_portal_invites or _any(select(PortalInvite).where(PortalInvite.workspace_id == ws))),
        Step("Send a first form", "From a client record: a PHQ-9, a GAD-7 or one of your own.",
             url_for("forms.templates"), _any(select(FormRequest).where(FormRequest.workspace_id == ws))),
        Step("Share a first document", "From a client record: a handout, a summary or a note.",
             url_for("clients.index"),
             _any(select(Document).where(Document.workspace_id == ws, Document.origin == "practice"))),
    ]


def put_away(workspace) -> None:
    workspace.getting_started_dismissed_at = clock.now()
    record("settings.getting_started_dismissed", workspace_id=workspace.id)


def _any(query) -> bool:
    return bool(db.session.scalar(select(exists(query))))
