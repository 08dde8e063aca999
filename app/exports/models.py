from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clients.models import Client
from app.db import EncryptedText, db
from app.mail import OwedEmail


class DataExport(OwedEmail, db.Model):
    """A client's copy of everything the portal holds about them: a zip built by a job, sealed in storage like a
    document, downloadable once through a link whose token is stored hashed (and, while it may be used,
    encrypted, so the page can show it). The OwedEmail columns are the "it is ready" e-mail."""

    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="waiting")  # waiting building ready failed
    steps_done: Mapped[int] = mapped_column(default=0)
    steps_total: Mapped[int] = mapped_column(default=0)
    build_claimed_until: Mapped[datetime | None]
    storage_key: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sealed_token: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime]
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    downloaded_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    client: Mapped[Client] = relationship()

    @property
    def in_progress(self) -> bool:
        return self.status in ("waiting", "building")
