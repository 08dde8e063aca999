"""Workspaces, and the one way to query workspace data: scoped to the signed-in user's workspace."""

from datetime import datetime

from flask import abort
from flask_login import current_user
from sqlalchemy import Boolean, String, Text, select
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import EncryptedText, db

DEFAULT_BRAND_COLOUR = "#1f5f8b"
DEFAULT_CRISIS_TEXT = ("If you are in danger or thinking about harming yourself, call your local emergency number now "
                       "(911 in the US, 999 in the UK, 112 in the EU), or go to the nearest emergency department. "
                       "You can also call or text 988 in the US, or call Samaritans on 116 123 in the UK and "
                       "Ireland, at any time of day.")


class Workspace(db.Model):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    locale: Mapped[str] = mapped_column(String(16), default="en_US", server_default="en_US")  # a key of LOCALES
    brand_colour: Mapped[str] = mapped_column(String(7), default=DEFAULT_BRAND_COLOUR)
    white_label: Mapped[bool] = mapped_column(Boolean, default=False)
    automate_portal_invites: Mapped[bool] = mapped_column(Boolean, default=False)
    communication_mode: Mapped[str] = mapped_column(String(24), default="reply_only", server_default="reply_only")
    client_contact_note: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime]
    crisis_text: Mapped[str | None] = mapped_column(Text)
    getting_started_dismissed_at: Mapped[datetime | None]
    require_staff_mfa: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # Read only to load the logo and welcome with the signed-in user in one query (app/auth/sessions.py); pages
    # still look the branding up by id (app/branding/brand.py), which the identity map then answers.
    branding = relationship("Branding", uselist=False, viewonly=True, lazy="raise")

    @property
    def crisis_text_for_clients(self) -> str:
        """Settings → Safety's "If you need help now", or the default until the practice writes its own."""
        return self.crisis_text or DEFAULT_CRISIS_TEXT

    @property
    def initials(self) -> str:
        words = [w for w in self.name.split() if w[:1].isalnum()]
        return "".join(w[0] for w in words[:2]).upper() or "P"


def current_workspace_id() -> int:
    if not current_user.is_authenticated:
        abort(404)
    return current_user.workspace_id


def scoped(model):
    """select(model) limited to the current workspace: the start of every workspace query in a view."""
    return select(model).where(model.workspace_id == current_workspace_id())


def get_or_404(model, object_id: int):
    """The object with this id in the current workspace; 404 otherwise (never confirms it exists elsewhere)."""
    return _one_or_404(scoped(model).where(model.id == object_id))


def of_client_or_404(client, model, object_id: int):
    """The object with this id if it belongs to this client; 404 for another client's (or workspace's)."""
    return _one_or_404(scoped(model).where(model.id == object_id, model.client_id == client.id))


def own_or_404(model, object_id: int):
    """The signed-in client's own object with this id; 404 for anyone else's (and any other workspace's)."""
    return _one_or_404(scoped(model).where(model.id == object_id, model.client_id == current_user.client_id))


def repeat_of(model, workspace_id: int, request_key: str | None):
    """What a form post with this request key already made (a double click, a retry), or None: the first post
    is the answer to every repeat."""
    if not request_key:
        return None
    return db.session.scalar(select(model).where(model.workspace_id == workspace_id, model.request_key == request_key))


def _one_or_404(query):
    found = db.session.scalar(query)
    if found is None:
        abort(404)
    return found
