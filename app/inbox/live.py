"""What a change to a conversation pushes, and to whom: each person who may see it gets fragments rendered for them.

A socket listens on `user:<id>:<topic>` for the topics its page shows (badges on every page; the inbox list;
the portal home; the client's message list; one conversation), so a page only receives what it can show.
Pushed fragments carry no CSRF field: htmx sends the page's token as a header, and without JavaScript there
are no pushes.
"""

import re
from contextlib import nullcontext

from flask import current_app, has_request_context, render_template
from sqlalchemy import select

from app.auth.models import User
from app.db import db
from app.inbox.forms import ReplyForm
from app.inbox.models import Conversation, Message, unread_for_client
from app.inbox.policy import may_see_conversation
from app.inbox.queries import unread_in
from app.realtime import publish

TOPIC = re.compile(r"^(badges|inbox|home|messages|conversation-\d{1,12})$")
MAX_TOPICS = 4


def channels_for(user: User, topics: list[str]) -> list[str]:
    """The channels a socket of `user` listens on; unknown topics are ignored."""
    wanted = ["badges", *[t for t in topics if TOPIC.match(t) and t != "badges"][:MAX_TOPICS]]
    return [f"user:{user.id}:{topic}" for topic in wanted]


def audience(conversation: Conversation) -> list[User]:
    """Everyone who may see the conversation: its clients' accounts and the staff the policy lets in."""
    writers = set(db.session.scalars(select(Message.sender_id).where(Message.conversation_id == conversation.id)))
    staff = db.session.scalars(select(User).where(User.workspace_id == conversation.workspace_id,
                                                  User.client_id.is_(None), User.disabled_at.is_(None)))
    clients = db.session.scalars(select(User).where(User.client_id.in_([m.client_id for m in conversation.members]),
                                                    User.disabled_at.is_(None)))
    return [u for u in [*staff, *clients] if may_see_conversation(u, conversation, took_part=u.id in writers)]


def conversation_changed(conversation: Conversation, message: Message | None = None,
                         state_changed: bool = False, with_badges: bool = True) -> list[User]:
    """Push what changed in a conversation (a new message, its status, badges, list rows) to everyone who may see it.

    `state_changed` (opened or closed) also pushes the client's reply area; otherwise it is left alone, so
    that nothing a client is typing gets replaced. Without `with_badges` the caller pushes the badges of the
    viewers returned (once per batch of changes rather than once per conversation).
    """
    db.session.flush()
    viewers = audience(conversation)
    with _rendering():
        for viewer in viewers:
            lists = "inbox" if viewer.is_staff else "messages"
            context = {"viewer": viewer, "conversation": conversation, "message": message, "live": True,
                       "state_changed": state_changed, "unread": unread_in(viewer, conversation),
                       "form": ReplyForm(meta={"csrf": False}, formdata=None)}
            publish(f"user:{viewer.id}:conversation-{conversation.id}",
                    render_template("inbox/live/conversation.html", **context))
            publish(f"user:{viewer.id}:{lists}", render_template("inbox/live/row.html", **context))
            if with_badges:
                badges(viewer)
            if viewer.is_client:
                count, senders = unread_for_client(viewer.client_id)
                publish(f"user:{viewer.id}:home", render_template(
                    "inbox/live/client_card.html", unread_count=count, unread_from=senders, **context))
    return viewers


def read_live(viewer: User, conversation: Conversation) -> None:
    """The viewer read the conversation on an open page: their list rows, badges and home card follow."""
    with _rendering():
        context = {"viewer": viewer, "conversation": conversation, "live": True, "unread": False, "in_place": True}
        publish(f"user:{viewer.id}:{'inbox' if viewer.is_staff else 'messages'}",
                render_template("inbox/_conversation_row.html", **context))  # where it is: reading doesn't move it
        badges(viewer)
        if viewer.is_client:
            count, senders = unread_for_client(viewer.client_id)
            publish(f"user:{viewer.id}:home", render_template(
                "inbox/live/client_card.html", unread_count=count, unread_from=senders, **context))


def badges(viewer: User) -> None:
    """The viewer's unread badges, in every tab they have open."""
    with _rendering():
        publish(f"user:{viewer.id}:badges", render_template("inbox/live/badges.html", viewer=viewer, live=True))


def _rendering():
    """Links in pushed fragments need a request context; jobs (the 48-hour close) have none of their own."""
    if has_request_context():
        return nullcontext()
    return current_app.test_request_context(base_url=current_app.config["PORCH_BASE_URL"])
