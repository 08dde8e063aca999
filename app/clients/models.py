from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, UniqueConstraint, literal_column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import EncryptedText, db
from app.mail import OwedEmail, OwedLinkEmail
from app.tenancy import Workspace

care_team = Table(
    "care_team",
    db.metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_care_team_user_id_client_id", "user_id", "client_id"),  # "whose clients are these" per practitioner
)


# What the client search matches, as SQL: names and e-mail are plain columns (only phone and birth date are
# encrypted), so a trigram index can serve it directly; the index and the query must spell it the same way.
SEARCH_TEXT = "(first_name || ' ' || last_name || ' ' || coalesce(email, ''))"
# The same expression as PostgreSQL writes it back (so the schema check sees the index it made).
_SEARCH_INDEXED = ("((((first_name::text || ' '::text) || last_name::text) || ' '::text) || "
                   "COALESCE(email, ''::character varying)::text)")


class Client(db.Model):
    """A person the practice serves. The record exists before (and without) any portal account."""

    __tablename__ = "clients"
    __table_args__ = (
        UniqueConstraint("workspace_id", "email"),
        UniqueConstraint("workspace_id", "request_key"),
        # The client list pages by name (keyset): the next page starts from the index, not from row 0.
        Index("ix_clients_workspace_name", "workspace_id", "last_name", "first_name", "id"),
        # Search by part of a name or e-mail (ILIKE '%...%') without reading every client: one trigram GIN index
        # on the text searched (`search_text` below), PostgreSQL only; SQLite reads the workspace's rows.
        Index("ix_clients_search_trgm", literal_column(_SEARCH_INDEXED), postgresql_using="gin").ddl_if(
            dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(60))
    last_name: Mapped[str] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    birth_date: Mapped[str | None] = mapped_column(EncryptedText)
    time_zone: Mapped[str] = mapped_column(String(64))
    request_key: Mapped[str | None] = mapped_column(String(36))
    portal_disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    workspace: Mapped[Workspace] = relationship()
    care_team: Mapped[list[User]] = relationship(secondary=care_team, order_by=User.name)
    account: Mapped[User | None] = relationship(foreign_keys=[User.client_id], viewonly=True,
                                                 primaryjoin="User.client_id == Client.id")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def date_of_birth(self) -> date | None:
        return date.fromisoformat(self.birth_date) if self.birth_date else None


class PortalInvite(OwedLinkEmail, db.Model):
    """One invite e-mail. Its token is made by the job that sends it; the hash finds it (see OwedLinkEmail)."""

    __tablename__ = "portal_invites"
    __table_args__ = (UniqueConstraint("workspace_id", "request_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    request_key: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]

    client: Mapped[Client] = relationship()
    workspace: Mapped[Workspace] = relationship()


class AddressChangeNotice(OwedEmail, db.Model):
    """The e-mail telling a client that their login address changed, one to the old address and one to the new
    (it names nothing else); sent at most once by a job."""

    __tablename__ = "address_change_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    to_new_address: Mapped[bool]
    created_at: Mapped[datetime]

    client: Mapped[Client] = relationship()
