"""How conversations are shown, for whoever is looking: clients see other clients' first names only.

Staff (the inbox) and clients (the portal's Messages) see a conversation through the same fragments; these
say what differs by viewer.
"""

from flask import url_for

from app.auth.models import User
from app.clients.invites import portal_statuses
from app.clients.models import Client
from app.form_base import ButtonForm
from app.inbox.forms import ReplyForm
from app.inbox.models import Conversation, Message
from app.inbox.policy import may_close, may_reply
from app.inbox.queries import message_page


def conversation_url(viewer: User, conversation: Conversation, view: str = "show", **args) -> str:
    """The viewer's own address for a conversation's view: in the staff inbox, or in the client's portal."""
    return url_for(f"{'inbox' if viewer.is_staff else 'portal_messages'}.{view}", conversation_id=conversation.id,
                   **args)


def thread_page(conversation: Conversation, viewer: User, form: ReplyForm, wrote: bool = False,
                before: str | None = None) -> dict:
    """What a conversation's page and its fragments need; `wrote`: the staff member took part in it.

    The messages are the newest page (or the page older than `before`) in reading order; `older_cursor`
    leads to the page before them, `newer_cursor` back towards the newest."""
    page = message_page(conversation, before)
    return {"conversation": conversation, "messages": page.items[::-1], "form": form,
            "older_cursor": page.next_cursor, "newer_cursor": page.previous_cursor,
            "viewer": viewer, "may_reply": may_reply(viewer, conversation, wrote),
            "may_close": may_close(viewer, conversation, wrote), "button_form": ButtonForm(),
            "not_reading": not_reading_yet(conversation.clients) if viewer.is_staff else [],
            "live_topics": [f"conversation-{conversation.id}"]}


def not_reading_yet(clients: list[Client]) -> list[tuple[Client, str]]:
    """The clients who can't read messages yet (no portal account), each with why, as staff are told it."""
    statuses = portal_statuses(clients)
    return [(client, _why_not_reading(client, statuses[client.id].state)) for client in clients
            if statuses[client.id].state != "active"]


def _why_not_reading(client: Client, state: str) -> str:
    if state == "disabled":
        return "has portal access turned off"
    if not client.email:
        return "has no e-mail address for a portal account"
    if state == "not_invited":
        return "hasn't been invited to the portal"
    return "hasn't joined the portal yet"


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
