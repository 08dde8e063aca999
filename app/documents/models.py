from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clients.models import Client
from app.db import EncryptedText, db
from app.mail import OwedEmail

KINDS = {
    "session_summary": "Session summary",
    "notes": "Notes",
    "handout": "Handout",
    "lab_result": "Lab result",
    "other": "Other",
    "upload": "Upload",
}


class Document(db.Model):
    """A file the practice shared with a client, or one the client uploaded. Its bytes sit encrypted in storage."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("workspace_id", "request_key"),
                      Index("ix_documents_client_id_origin_created_at", "client_id", "origin", "created_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    origin: Mapped[str] = mapped_column(String(8))  # practice · client
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(EncryptedText)
    file_name: Mapped[str] = mapped_column(EncryptedText)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    request_key: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    unshared_at: Mapped[datetime | None]

    client: Mapped[Client] = relationship()
    notice: Mapped["DocumentNotice | None"] = relationship(viewonly=True)

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, "Other")

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/jpeg", "image/png", "image/webp")

    @property
    def is_video(self) -> bool:
        return self.content_type.startswith("video/")


class DocumentUpload(db.Model):
    """A client's upload in progress (tus): how far it got, so that a dropped connection can carry on from there."""

    __tablename__ = "document_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    file_name: Mapped[str] = mapped_column(EncryptedText)
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    stored_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    records: Mapped[int] = mapped_column(default=0)
    content_type: Mapped[str | None] = mapped_column(String(100))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class DocumentNotice(OwedEmail, db.Model):
    """The e-mail telling a client the practice shared something (it names nothing); sent at most once by a job."""

    __tablename__ = "document_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    created_at: Mapped[datetime]

    document: Mapped[Document] = relationship()
