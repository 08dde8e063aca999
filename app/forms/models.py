from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.db import db


class FormRequest(db.Model):
    """A form sent to a client to fill in."""

    __tablename__ = "form_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]


def waiting_forms(client_id: int) -> list[FormRequest]:
    return list(db.session.scalars(
        select(FormRequest)
        .where(FormRequest.client_id == client_id, FormRequest.submitted_at.is_(None))
        .order_by(FormRequest.sent_at)
    ))
