"""Reading conversations: who may see which, what is unread, the inbox list. Nothing here writes.

Both the domain actions (service.py) and the live pushes (live.py) read through these, so they sit below both.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.clients.models import Client, care_team
from app.clients.policy import sees_every_client
from app.db import contains, db, once_per_request
from app.inbox.models import Conversation, ConversationClient, Message, StaffReading
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


def _unread_for_staff(staff: User):
    """Unread for this staff member: a client wrote after they last read it (one index lookup per row)."""
    read_up_to = (select(StaffReading.last_read_at)
                  .where(StaffReading.conversation_id == Conversation.id, StaffReading.user_id == staff.id)
                  .scalar_subquery())
    return and_(Conversation.last_client_message_at.is_not(None),
                or_(read_up_to.is_(None), Conversation.last_client_message_at > read_up_to))


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
    unread = set(db.session.scalars(select(Conversation.id).where(
        Conversation.id.in_([c.id for c in conversations]), _unread_for_staff(staff))))
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
    """(viewer id, conversation id) for each viewer with unread messages there, as `unread_in` says, in two queries."""
    ids = [conversation.id for conversation in audiences]
    readings = {(reading.conversation_id, reading.user_id): reading.last_read_at for reading in
                db.session.scalars(select(StaffReading).where(StaffReading.conversation_id.in_(ids)))}
    newest: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for conversation_id, sender_id, created_at in db.session.execute(
            select(Message.conversation_id, Message.sender_id, func.max(Message.created_at))
            .where(Message.conversation_id.in_(ids)).group_by(Message.conversation_id, Message.sender_id)):
        newest[conversation_id].append((sender_id, created_at))
    unread = set()
    for conversation, viewers in audiences.items():
        for viewer in viewers:
            if viewer.is_staff:
                read_up_to = readings.get((conversation.id, viewer.id))
                written = conversation.last_client_message_at
            else:
                read_up_to = next((m.last_read_at for m in conversation.members
                                   if m.client_id == viewer.client_id), None)
                written = max((at for sender, at in newest[conversation.id] if sender != viewer.id), default=None)
            if written is not None and (read_up_to is None or written > read_up_to):
                unread.add((viewer.id, conversation.id))
    return unread


def conversations_with(staff: User, client: Client) -> list[tuple[Conversation, bool]]:
    """The conversations this staff member may see that have this client in them, for the client record."""
    with_client = select(ConversationClient.conversation_id).where(ConversationClient.client_id == client.id)
    unread = case((_unread_for_staff(staff), 1), else_=0).label("unread")
    rows = db.session.execute(visible_conversations(staff).add_columns(unread)
                              .where(Conversation.id.in_(with_client))
                              .order_by(Conversation.last_message_at.desc().nulls_last()).limit(20)).all()
    return [(conversation, bool(flag)) for conversation, flag in rows]


def unread_count_for_staff(staff: User) -> int:
    """The badge: visible conversations a client wrote in since this staff member last read them (once per request:
    a conversation page shows it twice)."""
    return once_per_request(("unread_count_for_staff", staff.id), lambda: _unread_count_for_staff(staff))


def _unread_count_for_staff(staff: User) -> int:
    reading = and_(StaffReading.conversation_id == Conversation.id, StaffReading.user_id == staff.id)
    query = (visible_conversations(staff).with_only_columns(func.count(), maintain_column_froms=True)
             .outerjoin(StaffReading, reading)
             .where(Conversation.last_client_message_at.is_not(None),
                    or_(StaffReading.last_read_at.is_(None),
                        Conversation.last_client_message_at > StaffReading.last_read_at)))
    return db.session.scalar(query)


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
