"""Conversations: starting them, writing in them, reading them, closing them, and the e-mails they owe."""

from datetime import datetime, timedelta

from sqlalchemy import and_, case, desc, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.audit.trail import record
from app.auth.models import User
from app.clients.models import Client, care_team
from app.clients.policy import sees_every_client
from app.db import contains, db
from app.inbox import live
from app.inbox.models import Conversation, ConversationClient, Message, MessageNotification, StaffReading
from app.inbox.policy import MODES, QUIET_CLOSE_AFTER, REPLY_ONLY, closes_when_quiet
from app.queue import enqueue_at
from app.tenancy import Workspace, repeat_of

MESSAGE_MAX = 5000
NOTIFY_AT_MOST_EVERY = timedelta(minutes=15)
CLOSED_WHEN_QUIET = "quiet"
CLOSED_BY_STAFF = "by_staff"
GROUP_NAME_SEARCH_LIMIT = 2000


def took_part(user: User, conversation: Conversation) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Message.conversation_id == conversation.id, Message.sender_id == user.id))))


def start_conversation(sender: User, clients: list[Client], body: str, request_key: str,
                       title: str | None = None, staff: User | None = None) -> Conversation:
    """A new conversation with its first message; the same request key again returns the first one."""
    repeat = repeat_of(Message, sender.workspace_id, request_key)
    if repeat is not None:
        return db.session.get(Conversation, repeat.conversation_id)
    conversation = Conversation(
        workspace_id=sender.workspace_id, title=title or None, is_group=len(clients) > 1 or bool(title),
        staff_user_id=(staff or sender).id if (staff or sender.is_staff) else None, created_at=clock.now(),
        members=[ConversationClient(client_id=c.id) for c in clients],
    )
    db.session.add(conversation)
    db.session.flush()
    message = post_message(conversation, sender, body, request_key)
    return db.session.get(Conversation, message.conversation_id)


def post_message(conversation: Conversation, sender: User, body: str, request_key: str) -> Message:
    """Add a message. Staff writing reopens a closed conversation and, in Reply-only mode, sets its quiet close."""
    repeat = repeat_of(Message, sender.workspace_id, request_key)
    if repeat is not None:
        return repeat
    now = clock.now()
    message = Message(workspace_id=conversation.workspace_id, conversation_id=conversation.id, sender_id=sender.id,
                      body=body, request_key=request_key, created_at=now)
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the same send, racing: the one that was saved is the answer
        repeat = repeat_of(Message, sender.workspace_id, request_key)
        if repeat is None:
            raise
        return repeat
    conversation.last_message_at = now
    reopened = sender.is_staff and conversation.closed_at is not None
    if sender.is_staff:
        _after_staff_message(conversation, sender, now)
    else:
        conversation.closes_at = None  # the client replied: nothing to close
        mark_read(sender, conversation)
    live.conversation_changed(conversation, message, state_changed=reopened)
    return message


def _after_staff_message(conversation: Conversation, sender: User, now: datetime) -> None:
    from jobs.conversations import close_if_quiet, send_message_notification

    conversation.closed_at = conversation.closed_reason = None
    conversation.closes_at = None
    if closes_when_quiet(sender.workspace.communication_mode):
        conversation.closes_at = now + QUIET_CLOSE_AFTER
        enqueue_at(conversation.closes_at, close_if_quiet, conversation.id)
    mark_read(sender, conversation)
    for member in conversation.members:
        notification = owe_notification(conversation, member.client, now)
        if notification is not None:
            enqueue_at(notification.due_at, send_message_notification, notification.id)


def owe_notification(conversation: Conversation, client: Client, now: datetime) -> MessageNotification | None:
    """Record that the client is owed an e-mail, unless one is already owed or they don't want them."""
    account = client.account
    if account is None or not account.is_active or not account.message_emails:
        return None
    mine = (MessageNotification.conversation_id == conversation.id, MessageNotification.client_id == client.id)
    if db.session.scalar(select(exists().where(*mine, MessageNotification.sent_at.is_(None),
                                               MessageNotification.failed_at.is_(None)))):
        return None
    last_sent = db.session.scalar(select(func.max(MessageNotification.sent_at)).where(*mine))
    due = max(now, last_sent + NOTIFY_AT_MOST_EVERY) if last_sent else now
    notification = MessageNotification(workspace_id=conversation.workspace_id, conversation_id=conversation.id,
                                       client_id=client.id, created_at=now, due_at=due)
    db.session.add(notification)
    db.session.flush()
    return notification


def mark_read(reader: User, conversation: Conversation) -> None:
    now = clock.now()
    if reader.is_client:
        for member in conversation.members:
            if member.client_id == reader.client_id:
                member.last_read_at = now
        return
    reading = db.session.get(StaffReading, (conversation.id, reader.id))
    if reading is None:
        db.session.add(StaffReading(conversation_id=conversation.id, user_id=reader.id, last_read_at=now))
    else:
        reading.last_read_at = now


def close_by_hand(conversation: Conversation, staff: User) -> None:
    conversation.closed_at, conversation.closed_reason, conversation.closes_at = clock.now(), CLOSED_BY_STAFF, None
    record("conversation.closed", workspace_id=conversation.workspace_id, actor_user_id=staff.id)
    live.conversation_changed(conversation, state_changed=True)


def close_if_quiet(conversation_id: int) -> bool:
    """Close the conversation if its 48 hours have passed with no client reply; True if this call closed it."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or db.session.get(Workspace, conversation.workspace_id).communication_mode != REPLY_ONLY:
        return False
    now = clock.now()
    closed = db.session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.closed_at.is_(None), Conversation.closes_at <= now)
        .values(closed_at=now, closed_reason=CLOSED_WHEN_QUIET, closes_at=None)
    ).rowcount == 1
    if closed:
        db.session.refresh(conversation)
        live.conversation_changed(conversation, state_changed=True)
    db.session.commit()
    return closed


def quiet_conversations_due() -> list[int]:
    return list(db.session.scalars(
        select(Conversation.id).join(Workspace, Workspace.id == Conversation.workspace_id)
        .where(Conversation.closed_at.is_(None), Conversation.closes_at <= clock.now(),
               Workspace.communication_mode == REPLY_ONLY)))


def change_mode(workspace: Workspace, mode: str, contact_note: str | None) -> None:
    if mode not in MODES:
        raise ValueError(mode)
    if mode != REPLY_ONLY:
        db.session.execute(update(Conversation).where(Conversation.workspace_id == workspace.id,
                                                      Conversation.closes_at.is_not(None)).values(closes_at=None))
    workspace.communication_mode = mode
    workspace.client_contact_note = contact_note or None
    record("settings.communications_changed", workspace_id=workspace.id)


def visible_conversations(staff: User):
    """The inbox's conversations for this staff member (who need not be the one signed in), as a query."""
    query = select(Conversation).where(Conversation.workspace_id == staff.workspace_id)
    if sees_every_client(staff):
        return query
    roster = select(ConversationClient.conversation_id).join(care_team, and_(
        care_team.c.client_id == ConversationClient.client_id, care_team.c.user_id == staff.id))
    wrote = select(Message.conversation_id).where(Message.sender_id == staff.id)
    return query.where(or_(Conversation.staff_user_id == staff.id, Conversation.id.in_(roster),
                           Conversation.id.in_(wrote)))


def _unread_for_staff(staff: User):
    last_from_clients = (select(func.max(Message.created_at)).join(User, User.id == Message.sender_id)
                         .where(Message.conversation_id == Conversation.id, User.client_id.is_not(None))
                         .scalar_subquery())
    read_up_to = (select(StaffReading.last_read_at)
                  .where(StaffReading.conversation_id == Conversation.id, StaffReading.user_id == staff.id)
                  .scalar_subquery())
    return and_(last_from_clients.is_not(None), or_(read_up_to.is_(None), last_from_clients > read_up_to))


def inbox(staff: User, status: str = "open", search: str = "") -> list[tuple[Conversation, bool]]:
    """(conversation, unread) pairs, unread first, then the most recent."""
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
    unread = case((_unread_for_staff(staff), 1), else_=0).label("unread")
    rows = db.session.execute(query.add_columns(unread).order_by(
        desc("unread"), Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc()).limit(200)).all()
    return [(conversation, bool(flag)) for conversation, flag in rows]


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


def conversations_with(staff: User, client: Client) -> list[tuple[Conversation, bool]]:
    """The conversations this staff member may see that have this client in them, for the client record."""
    with_client = select(ConversationClient.conversation_id).where(ConversationClient.client_id == client.id)
    unread = case((_unread_for_staff(staff), 1), else_=0).label("unread")
    rows = db.session.execute(visible_conversations(staff).add_columns(unread)
                              .where(Conversation.id.in_(with_client))
                              .order_by(Conversation.last_message_at.desc().nulls_last()).limit(20)).all()
    return [(conversation, bool(flag)) for conversation, flag in rows]


def unread_count_for_staff(staff: User) -> int:
    return db.session.scalar(select(func.count()).select_from(
        visible_conversations(staff).where(_unread_for_staff(staff)).subquery()))


def conversations_of(client: Client) -> list[tuple[Conversation, bool]]:
    """A client's conversations, (conversation, unread), unread first."""
    member = (select(ConversationClient).where(ConversationClient.client_id == client.id).subquery())
    newest_from_others = (select(func.max(Message.created_at)).join(User, User.id == Message.sender_id)
                          .where(Message.conversation_id == Conversation.id,
                                 or_(User.client_id.is_(None), User.client_id != client.id)).scalar_subquery())
    unread = case((and_(newest_from_others.is_not(None), or_(member.c.last_read_at.is_(None),
                                                             newest_from_others > member.c.last_read_at)), 1),
                  else_=0).label("unread")
    rows = db.session.execute(select(Conversation, unread).join(member, member.c.conversation_id == Conversation.id)
                              .order_by(desc("unread"), Conversation.last_message_at.desc().nulls_last())).all()
    return [(conversation, bool(flag)) for conversation, flag in rows]


RECENT_MESSAGES = 100


def recent_messages(conversation: Conversation) -> list[Message]:
    newest = db.session.scalars(select(Message).where(Message.conversation_id == conversation.id)
                                .order_by(Message.created_at.desc(), Message.id.desc()).limit(RECENT_MESSAGES))
    return list(reversed(list(newest)))
