from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import EncryptedText, db


class Conversation(db.Model):
    """A chat thread: one client and the practice, or a group of clients made by staff."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(120))
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    last_message_at: Mapped[datetime | None]


class ConversationClient(db.Model):
    """A client in a conversation, and how far they have read it."""

    __tablename__ = "conversation_clients"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True, index=True)
    last_read_at: Mapped[datetime | None]


class Message(db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime]

    sender: Mapped[User] = relationship()


def unread_for_client(client_id: int) -> tuple[int, list[str]]:
    """How many messages from the practice the client hasn't read, and who sent them."""
    rows = db.session.execute(
        select(func.count(Message.id), User.name)
        .join(ConversationClient, ConversationClient.conversation_id == Message.conversation_id)
        .join(User, User.id == Message.sender_id)
        .where(ConversationClient.client_id == client_id, User.client_id.is_(None),
               (ConversationClient.last_read_at.is_(None)) | (Message.created_at > ConversationClient.last_read_at))
        .group_by(User.name)
        .order_by(User.name)
    ).all()
    return sum(count for count, _ in rows), [name for _, name in rows]
