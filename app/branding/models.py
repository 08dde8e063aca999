from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.db import db


class Branding(db.Model):
    """What a practice shows of itself beyond its name and colour (on Workspace): logo, welcome, signature.
    The logo's bytes are loaded only when the logo itself is served."""

    __tablename__ = "brandings"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    logo_png: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    logo_fingerprint: Mapped[str | None] = mapped_column(String(16))
    logo_width: Mapped[int | None]
    logo_height: Mapped[int | None]
    portal_welcome: Mapped[str | None] = mapped_column(Text)
    email_signature: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
