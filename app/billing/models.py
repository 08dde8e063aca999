from datetime import date, datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.db import db


class Invoice(db.Model):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int]
    issued_on: Mapped[date]
    due_on: Mapped[date]
    paid_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]

    def status(self, today: date) -> str:
        """Paid, Due or Overdue, as the client sees it on `today` (their local date)."""
        if self.paid_at is not None:
            return "Paid"
        return "Overdue" if self.due_on < today else "Due"


def latest_invoice(client_id: int) -> Invoice | None:
    return db.session.scalar(
        select(Invoice)
        .where(Invoice.client_id == client_id, Invoice.voided_at.is_(None))
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        .limit(1)
    )
