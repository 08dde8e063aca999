from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, bindparam, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clients.models import Client
from app.db import EncryptedText, db, once_per_request, prepared
from app.mail import OwedEmail


class Conversation(db.Model):
    """A chat thread: one client and the practice, or a group of clients made by staff."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_workspace_id_last_message_at", "workspace_id", "last_message_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    title: Mapped[str | None] = mapped_column(EncryptedText)  # a group's name can name a condition
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closes_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    last_message_at: Mapped[datetime | None]
    # When a client last wrote here: the staff unread rows (app/inbox/unread.py) compare it with each reader's
    # StaffReading, so they never look at the messages themselves. Set in the same transaction as the message.
    last_client_message_at: Mapped[datetime | None]

    members: Mapped[list["ConversationClient"]] = relationship(lazy="selectin", cascade="all, delete-orphan")
    staff: Mapped[User | None] = relationship(foreign_keys=[staff_user_id])

    @property
    def clients(self) -> list[Client]:
        return [m.client for m in self.members]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ConversationClient(db.Model):
    """A client in a conversation, and how far they have read it."""

    __tablename__ = "conversation_clients"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True, index=True)
    last_read_at: Mapped[datetime | None]

    client: Mapped[Client] = relationship(lazy="joined")


class StaffReading(db.Model):
    """How far a staff member has read a conversation (for their unread badges)."""

    __tablename__ = "staff_readings"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    last_read_at: Mapped[datetime]


class StaffUnread(db.Model):
    """A conversation this staff member may see with a client message they haven't read: one row of their badge.

    Derived from the conversation, its readings, care teams and roles, and rewritten (app/inbox/unread.py) in
    the transaction that changes any of those, so that the badge never has to look at all the conversations.
    """

    __tablename__ = "staff_unread"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True, index=True)


class StaffUnreadCount(db.Model):
    """How many StaffUnread rows a staff member has: the number on their Inbox link, read in one row lookup.
    No row: none."""

    __tablename__ = "staff_unread_counts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    conversations: Mapped[int] = mapped_column(Integer)


MESSAGE_MAX = 5000  # characters in one message


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("workspace_id", "request_key"),
        Index("ix_messages_sender_id_conversation_id", "sender_id", "conversation_id"),
        Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(EncryptedText)
    request_key: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]

    sender: Mapped[User] = relationship(lazy="joined")


class MessageNotification(OwedEmail, db.Model):
    """An e-mail owed to a client about new messages in one conversation (at most one per 15 minutes)."""

    __tablename__ = "message_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True)


def unread_for_client(client_id: int) -> tuple[int, list[str]]:
    """How many messages from others the client hasn't read, and who sent them (once per request: the Messages
    card and the navigation badge show the same count)."""
    return once_per_request(("unread_for_client", client_id), lambda: _unread_for_client(client_id))


def _unread_for_client(client_id: int) -> tuple[int, list[str]]:
    rows = db.session.execute(_unread_by_sender(), {"client_id": client_id}).all()
    return sum(count for count, _, _ in rows), [name if staff is None else name.split()[0]
                                                 for _, name, staff in rows]


@prepared
def _unread_by_sender():
    client_id = bindparam("client_id")
    client_account = select(User.id).where(User.client_id == client_id).scalar_subquery()
    return (select(func.count(Message.id), User.name, User.client_id)
            .join(ConversationClient, ConversationClient.conversation_id == Message.conversation_id)
            .join(User, User.id == Message.sender_id)
            .where(ConversationClient.client_id == client_id, Message.sender_id.is_distinct_from(client_account),
                   (ConversationClient.last_read_at.is_(None)) | (Message.created_at > ConversationClient.last_read_at))
            .group_by(User.name, User.client_id)
            .order_by(User.name))
