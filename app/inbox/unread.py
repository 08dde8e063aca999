"""The staff unread badge, kept as rows: which conversations each staff member has unread, and how many.

A conversation is unread for a staff member when they may see it (the rule of app/inbox/policy.py) and a client
wrote in it after they last read it. Working that out when a page is shown means reading every conversation of
the workspace on every staff page and live push; instead, whatever changes one of its parts (a client's message,
a reading, a care team, a role, a new colleague) recounts the conversations and staff it touches with
`recount_unread`, in its own transaction, and the badge reads one row (StaffUnreadCount).

`recount_unread` first locks the conversations it recounts (FOR NO KEY UPDATE on PostgreSQL; SQLite has one
writer at a time), as posting a message does by updating its conversation: two changes to one conversation at
once are recounted one after the other, the second seeing what the first committed, so the rows never keep an
answer that a change made in between has made wrong.
"""

from collections import Counter

from sqlalchemy import and_, delete, insert, or_, select

from app.auth.models import User
from app.clients.models import Client
from app.db import db, insert_on_conflict
from app.inbox.models import Conversation, ConversationClient, StaffReading, StaffUnread, StaffUnreadCount
from app.inbox.queries import seen_by_staff

_UNREAD = StaffUnread.__table__


def hold_conversations(conversations) -> None:
    """Lock these conversations (ids, or a query of ids) until the transaction ends, in id order, so that two
    transactions holding several never wait for each other in a circle."""
    db.session.execute(select(Conversation.id).where(Conversation.id.in_(conversations))
                       .order_by(Conversation.id).with_for_update(key_share=True))


def conversations_of_client(client: Client):
    """The ids of a client's conversations, as a query: what a change to their care team recounts."""
    return select(ConversationClient.conversation_id).where(ConversationClient.client_id == client.id)


def recount_unread(workspace_id: int, conversations=None, staff=None, held: bool = False) -> None:
    """Bring the badge rows of these conversations (ids or a query of ids; None: all of the workspace's) up to
    date for these staff members (ids; None: all of the workspace's, deactivated ones too, so that reactivating
    needs nothing), and their counts with them. At most four statements, however many rows change.

    `held`: the caller has locked the conversations already (with hold_conversations).
    """
    db.session.flush()
    scope = select(Conversation.id).where(Conversation.workspace_id == workspace_id)
    if conversations is not None:
        scope = scope.where(Conversation.id.in_(conversations))
    if not held:
        hold_conversations(scope)
    people = select(User.id).where(User.workspace_id == workspace_id, User.client_id.is_(None))
    if staff is not None:
        people = people.where(User.id.in_(staff))
    gone = db.session.scalars(delete(_UNREAD).where(_UNREAD.c.conversation_id.in_(scope),
                                                    _UNREAD.c.user_id.in_(people))
                              .returning(_UNREAD.c.user_id)).all()
    reading = and_(StaffReading.conversation_id == Conversation.id, StaffReading.user_id == User.id)
    unread = (select(User.id, Conversation.id).select_from(Conversation)
              .join(User, and_(User.workspace_id == Conversation.workspace_id, User.client_id.is_(None)))
              .outerjoin(StaffReading, reading)
              .where(Conversation.id.in_(scope), User.id.in_(people),
                     Conversation.last_client_message_at.is_not(None),
                     or_(StaffReading.last_read_at.is_(None),
                         Conversation.last_client_message_at > StaffReading.last_read_at),
                     seen_by_staff()))
    made = db.session.scalars(insert(_UNREAD).from_select(["user_id", "conversation_id"], unread)
                              .returning(_UNREAD.c.user_id)).all()
    change = Counter(made)
    change.subtract(gone)
    counts = [{"user_id": user_id, "conversations": n} for user_id, n in sorted(change.items()) if n]
    if counts:  # in user order, so that two recounts never wait for each other's count rows in a circle
        upsert = insert_on_conflict(StaffUnreadCount).values(counts)
        db.session.execute(upsert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"conversations": StaffUnreadCount.conversations + upsert.excluded.conversations}))
