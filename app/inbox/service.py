"""Conversations: starting them, writing in them, reading them, closing them, and the e-mails they owe."""

from datetime import datetime, timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from app import clock
from app.audit.trail import record
from app.auth.models import User
from app.clients.models import Client
from app.db import db, insert_on_conflict
from app.inbox import live
from app.inbox.models import Conversation, ConversationClient, Message, MessageNotification, StaffReading
from app.inbox.policy import MODES, QUIET_CLOSE_AFTER, REPLY_ONLY, closes_when_quiet
from app.inbox.unread import hold_conversations, recount_unread
from app.queue import enqueue_at
from app.tenancy import Workspace, repeat_of

NOTIFY_AT_MOST_EVERY = timedelta(minutes=15)
# A message that reaches an open conversation live is marked read by that page: the e-mail waits this long for it.
READ_LIVE_GRACE = timedelta(seconds=30)
CLOSED_WHEN_QUIET = "quiet"
CLOSED_BY_STAFF = "by_staff"


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
    if sender.client_id is not None:
        conversation.last_client_message_at = now
    reopened = sender.is_staff and conversation.closed_at is not None
    if sender.is_staff:
        _after_staff_message(conversation, sender, now)
    else:
        conversation.closes_at = None  # the client replied: nothing to close
        mark_read(sender, conversation)
        recount_unread(conversation.workspace_id, [conversation.id])  # unread now for the staff who see it
    live.conversation_changed(conversation, message, state_changed=reopened)
    return message


def _after_staff_message(conversation: Conversation, sender: User, now: datetime) -> None:
    conversation.closed_at = conversation.closed_reason = None
    conversation.closes_at = None
    if closes_when_quiet(sender.workspace.communication_mode):
        conversation.closes_at = now + QUIET_CLOSE_AFTER
        enqueue_at(conversation.closes_at, "jobs.conversations.close_if_quiet", conversation.id)
    mark_read(sender, conversation)
    for member in conversation.members:
        notification = owe_notification(conversation, member.client, now)
        if notification is not None:
            enqueue_at(notification.due_at, "jobs.conversations.send_message_notification", notification.id)


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
    due = max(now + READ_LIVE_GRACE, last_sent + NOTIFY_AT_MOST_EVERY) if last_sent else now + READ_LIVE_GRACE
    notification = MessageNotification(workspace_id=conversation.workspace_id, conversation_id=conversation.id,
                                       client_id=client.id, created_at=now, due_at=due)
    db.session.add(notification)
    db.session.flush()
    return notification


def mark_read(reader: User, conversation: Conversation) -> bool:
    """Note that `reader` has read the conversation up to now. A client who had already read all of it changes
    nothing (False: no write, no open page to tell). A staff member's reading is always written: it waits for a
    client message being saved at that moment and covers it (app/inbox/unread.py)."""
    if reader.is_client:
        now = clock.now()
        unread = [member for member in conversation.members if member.client_id == reader.client_id
                  and (member.last_read_at is None or member.last_read_at < (conversation.last_message_at or now))]
        for member in unread:
            member.last_read_at = now
        return bool(unread)
    # The time is taken once the conversation is held, so that the reading covers every message committed
    # before it, and a message being posted now is counted after it (app/inbox/unread.py).
    hold_conversations([conversation.id])
    now = clock.now()
    # Two tabs opening the conversation at once both write the row: the second one updates it.
    db.session.execute(insert_on_conflict(StaffReading)
                       .values(conversation_id=conversation.id, user_id=reader.id, last_read_at=now)
                       .on_conflict_do_update(index_elements=["conversation_id", "user_id"],
                                              set_={"last_read_at": now}))
    recount_unread(conversation.workspace_id, [conversation.id], [reader.id], held=True)
    return True


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
        live.conversations_closed([conversation])
    db.session.commit()
    return closed


QUIET_CLOSE_BATCH = 500


def close_quiet_batch(limit: int = QUIET_CLOSE_BATCH) -> list[int]:
    """Close up to `limit` conversations whose 48 quiet hours have passed, in one UPDATE … RETURNING, and commit.

    Rows another worker is closing at the same moment are skipped (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
    has one writer at a time), and the UPDATE re-checks that each is still open, so each is closed exactly once.
    Then the live pushes for the whole batch (live.conversations_closed), in a fixed number of queries.
    """
    now = clock.now()
    candidate = aliased(Conversation)
    due = (select(candidate.id).join(Workspace, Workspace.id == candidate.workspace_id)
           .where(candidate.closed_at.is_(None), candidate.closes_at <= now, Workspace.communication_mode == REPLY_ONLY)
           .order_by(candidate.closes_at).limit(limit)
           .with_for_update(of=candidate, skip_locked=True)
           .cte("due").prefix_with("MATERIALIZED", dialect="postgresql"))  # picked once, not once per row
    closed = list(db.session.scalars(
        update(Conversation)
        .where(Conversation.id.in_(select(due.c.id)), Conversation.closed_at.is_(None))
        .values(closed_at=now, closed_reason=CLOSED_WHEN_QUIET, closes_at=None)
        .returning(Conversation.id)
        .execution_options(synchronize_session=False)))
    db.session.commit()
    if closed:
        live.conversations_closed(list(db.session.scalars(
            select(Conversation).where(Conversation.id.in_(closed)).options(selectinload(Conversation.staff)))))
        db.session.commit()
    return closed


def change_mode(workspace: Workspace, mode: str, contact_note: str | None) -> None:
    if mode not in MODES:
        raise ValueError(mode)
    if mode != REPLY_ONLY:
        db.session.execute(update(Conversation).where(Conversation.workspace_id == workspace.id,
                                                      Conversation.closes_at.is_not(None)).values(closes_at=None))
    workspace.communication_mode = mode
    workspace.client_contact_note = contact_note or None
    record("settings.communications_changed", workspace_id=workspace.id)


