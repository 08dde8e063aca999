"""Reading conversations: who may see which, what is unread, the inbox list. Nothing here writes.

Both the domain actions (service.py) and the live pushes (live.py) read through these, so they sit below both.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from sqlalchemy import and_, bindparam, case, exists, false, func, or_, select, true
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.auth.policy import PRACTICE_ADMIN_ROLES
from app.clients.models import Client, care_team
from app.clients.policy import sees_every_client
from app.db import contains, db, once_per_request, prepared
from app.inbox.models import Conversation, ConversationClient, Message, StaffUnread, StaffUnreadCount
from app.paging import KeysetPage, keyset_page_of

GROUP_NAME_SEARCH_LIMIT = 2000
MESSAGES_PAGE = 50


def took_part(user: User, conversation: Conversation) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Message.conversation_id == conversation.id, Message.sender_id == user.id))))


def visible_conversations(staff: User):
    """The inbox's conversations for this staff member (who need not be the one signed in), as a query."""
    query = select(Conversation).where(Conversation.workspace_id == staff.workspace_id)
    if sees_every_client(staff):
        return query
    # The care team's conversations are few enough to hash once (IN); "conversations they wrote in" is not (a
    # practitioner may have written hundreds of thousands of messages, and past work_mem PostgreSQL rescans
    # that list for every conversation), so it is a correlated EXISTS: one index lookup in
    # messages(sender_id, conversation_id) per conversation the first two tests leave over.
    roster = select(ConversationClient.conversation_id).join(care_team, and_(
        care_team.c.client_id == ConversationClient.client_id, care_team.c.user_id == staff.id))
    wrote = exists().where(Message.conversation_id == Conversation.id, Message.sender_id == staff.id)
    return query.where(or_(Conversation.staff_user_id == staff.id, Conversation.id.in_(roster), wrote))


def _seen_by(staff_id, sees_every_conversation):
    """The rule of visible_conversations as one condition on a conversation's row: a lookup per conversation
    (EXISTS), for a handful of conversations or (with column arguments) for (conversation, user) pairs."""
    roster = exists().where(ConversationClient.conversation_id == Conversation.id,
                            care_team.c.client_id == ConversationClient.client_id, care_team.c.user_id == staff_id)
    wrote = exists().where(Message.conversation_id == Conversation.id, Message.sender_id == staff_id)
    return or_(sees_every_conversation, Conversation.staff_user_id == staff_id, roster, wrote)


def seen_by_staff():
    """visible_conversations' rule for every (Conversation, User) pair of a query at once: what the unread rows
    (app/inbox/unread.py) are recounted with."""
    return _seen_by(User.id, User.role.in_(PRACTICE_ADMIN_ROLES))


def _unread_for_staff(staff: User):
    """Unread for this staff member: the conversation has one of their unread rows (one index lookup per row)."""
    return exists().where(StaffUnread.conversation_id == Conversation.id, StaffUnread.user_id == staff.id)


INBOX_PAGE = 50


def inbox(staff: User, status: str = "open", search: str = "", cursor: str | None = None,
          size: int = INBOX_PAGE) -> KeysetPage:
    """A page of the staff member's conversations, the most recent activity first; items are (conversation,
    unread) pairs. Three queries whatever the number of conversations: the page, its unread flags, its members."""
    query = visible_conversations(staff)
    if status == "open":
        query = query.where(Conversation.closed_at.is_(None))
    elif status == "closed":
        query = query.where(Conversation.closed_at.is_not(None))
    if search.strip():
        like = contains(search.strip()[:100])
        full_name = Client.first_name + " " + Client.last_name
        by_client = (select(ConversationClient.conversation_id).join(Client, Client.id == ConversationClient.client_id)
                     .where(full_name.ilike(like, escape="\\")))
        query = query.where(or_(Conversation.id.in_(by_client),
                                Conversation.id.in_(_named(query, search.strip()[:100]))))
    page = keyset_page_of(query, [Conversation.last_message_at, Conversation.id], cursor, size,
                          scope=f"inbox:{status}", descending=True)
    return replace(page, items=_with_unread_flags(staff, page.items))


def _with_unread_flags(staff: User, conversations: list[Conversation]) -> list[tuple[Conversation, bool]]:
    if not conversations:
        return []
    unread = set(db.session.scalars(select(StaffUnread.conversation_id).where(
        StaffUnread.user_id == staff.id, StaffUnread.conversation_id.in_([c.id for c in conversations]))))
    return [(conversation, conversation.id in unread) for conversation in conversations]


def _named(conversations, search: str) -> list[int]:
    """Ids of the named ones among `conversations` whose name holds `search`, any case.

    Names are encrypted, so they are matched here after decrypting the staff member's own most recent
    GROUP_NAME_SEARCH_LIMIT named conversations: a keyed hash could match a whole name only, not a word in it.
    """
    named = (conversations.with_only_columns(Conversation.id, Conversation.title)
             .where(Conversation.title.is_not(None))
             .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
             .limit(GROUP_NAME_SEARCH_LIMIT))
    wanted = search.casefold()
    return [conversation_id for conversation_id, title in db.session.execute(named) if wanted in title.casefold()]


def unread_in(viewer: User, conversation: Conversation) -> bool:
    """Has `viewer` unread messages from others in this conversation?"""
    if viewer.is_staff:
        return bool(db.session.scalar(select(_unread_for_staff(viewer)).where(Conversation.id == conversation.id)))
    read_up_to = next((m.last_read_at for m in conversation.members if m.client_id == viewer.client_id), None)
    newest = db.session.scalar(select(func.max(Message.created_at)).where(
        Message.conversation_id == conversation.id, Message.sender_id != viewer.id))
    return newest is not None and (read_up_to is None or newest > read_up_to)


def unread_in_each(audiences: dict[Conversation, list[User]]) -> set[tuple[int, int]]:
    """(viewer id, conversation id) for each viewer with unread messages there, as `unread_in` says, in two queries
    (staff: their unread rows, which may name staff outside `audiences` too)."""
    ids = [conversation.id for conversation in audiences]
    unread = {(user_id, conversation_id) for user_id, conversation_id in db.session.execute(
        select(StaffUnread.user_id, StaffUnread.conversation_id).where(StaffUnread.conversation_id.in_(ids)))}
    newest: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for conversation_id, sender_id, created_at in db.session.execute(
            select(Message.conversation_id, Message.sender_id, func.max(Message.created_at))
            .where(Message.conversation_id.in_(ids)).group_by(Message.conversation_id, Message.sender_id)):
        newest[conversation_id].append((sender_id, created_at))
    for conversation, viewers in audiences.items():
        for viewer in viewers:
            if viewer.is_staff:
                continue  # their unread rows say it
            read_up_to = next((m.last_read_at for m in conversation.members if m.client_id == viewer.client_id), None)
            written = max((at for sender, at in newest[conversation.id] if sender != viewer.id), default=None)
            if written is not None and (read_up_to is None or written > read_up_to):
                unread.add((viewer.id, conversation.id))
    return unread


def conversations_with(staff: User, client: Client) -> list[tuple[Conversation, bool]]:
    """The conversations this staff member may see that have this client in them, for the client record."""
    with_client = select(ConversationClient.conversation_id).where(ConversationClient.client_id == client.id)
    unread = case((_unread_for_staff(staff), 1), else_=0).label("unread")
    # A client has a handful of conversations: each is checked on its own rather than hashing all the
    # practitioner's (visible_conversations), which at a large practice is thousands.
    seen = _seen_by(staff.id, true() if sees_every_client(staff) else false())
    rows = db.session.execute(select(Conversation, unread).where(Conversation.workspace_id == staff.workspace_id,
                                                                 Conversation.id.in_(with_client), seen)
                              .order_by(Conversation.last_message_at.desc().nulls_last()).limit(20)).all()
    return [(conversation, bool(flag)) for conversation, flag in rows]


def unread_count_for_staff(staff: User) -> int:
    """The badge: visible conversations a client wrote in since this staff member last read them, as counted in
    one row by app/inbox/unread.py (once per request: a conversation page shows it twice)."""
    return once_per_request(("unread_count_for_staff", staff.id), lambda: _unread_count_for_staff(staff))


def _unread_count_for_staff(staff: User) -> int:
    return db.session.scalar(_badge_count(), {"user_id": staff.id}) or 0


@prepared
def _badge_count():
    return select(StaffUnreadCount.conversations).where(StaffUnreadCount.user_id == bindparam("user_id"))


def conversations_of(client: Client, cursor: str | None = None, size: int = INBOX_PAGE) -> KeysetPage:
    """A page of a client's conversations, the most recent activity first; items are (conversation, unread)."""
    query = (select(Conversation).join(ConversationClient, and_(ConversationClient.conversation_id == Conversation.id,
                                                                 ConversationClient.client_id == client.id))
             .options(selectinload(Conversation.staff)))
    page = keyset_page_of(query, [Conversation.last_message_at, Conversation.id], cursor, size,
                          scope="portal-messages", descending=True)
    ids = [conversation.id for conversation in page.items]
    unread = set(db.session.scalars(
        select(Message.conversation_id).distinct()
        .join(User, User.id == Message.sender_id)
        .join(ConversationClient, and_(ConversationClient.conversation_id == Message.conversation_id,
                                       ConversationClient.client_id == client.id))
        .where(Message.conversation_id.in_(ids), or_(User.client_id.is_(None), User.client_id != client.id),
               or_(ConversationClient.last_read_at.is_(None), Message.created_at > ConversationClient.last_read_at))
    )) if ids else set()
    return replace(page, items=[(conversation, conversation.id in unread) for conversation in page.items])


def message_page(conversation: Conversation, before: str | None = None, size: int = MESSAGES_PAGE) -> KeysetPage:
    """The newest `size` messages of a conversation, or the `size` before the cursor, newest first: two
    queries at most, however long the conversation (the senders come joined in)."""
    query = select(Message).where(Message.conversation_id == conversation.id)
    return keyset_page_of(query, [Message.created_at, Message.id], before, size,
                          scope=f"messages:{conversation.id}", descending=True)
