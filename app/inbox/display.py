"""How conversations and senders are named, for whoever is looking: clients see other clients' first names only."""

from app.auth.models import User
from app.inbox.models import Conversation, Message


def conversation_title(conversation: Conversation, viewer: User) -> str:
    if conversation.title:
        return conversation.title
    if viewer.is_staff:
        return ", ".join(c.full_name for c in conversation.clients)
    return conversation.staff.name if conversation.staff else viewer.workspace.name


def sender_label(message: Message, viewer: User) -> str:
    sender = message.sender
    if sender.id == viewer.id:
        return "You"
    if sender.is_staff or viewer.is_staff:
        return sender.name
    return sender.first_name


def members_line(conversation: Conversation, viewer: User) -> str:
    """Who else is in a group, as this viewer may see them."""
    names = [c.full_name if viewer.is_staff else c.first_name
             for c in conversation.clients if viewer.is_staff or c.id != viewer.client_id]
    return ", ".join(names)
