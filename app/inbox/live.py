"""What a change to a conversation pushes, and to whom: each person who may see it gets fragments rendered for them.

A socket listens on `user:<id>:<topic>` for the topics its page shows (badges on every page; the inbox list;
the portal home; the client's message list; one conversation), so a page only receives what it can show.
Pushed fragments carry no CSRF field: htmx sends the page's token as a header, and without JavaScript there
are no pushes.
"""

import re
from collections import defaultdict
from contextlib import nullcontext

from flask import current_app, has_request_context, render_template
from sqlalchemy import inspect, select
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import User
from app.clients.models import Client, care_team
from app.db import db
from app.inbox.forms import ReplyForm
from app.inbox.models import Conversation, Message, unread_for_client
from app.inbox.policy import may_see_conversation
from app.inbox.queries import unread_in, unread_in_each
from app.realtime import publish

TOPIC = re.compile(r"^(badges|inbox|home|messages|conversation-\d{1,12})$")
MAX_TOPICS = 4


def channels_for(user: User, topics: list[str]) -> list[str]:
    """The channels a socket of `user` listens on; unknown topics are ignored."""
    wanted = ["badges", *[t for t in topics if TOPIC.match(t) and t != "badges"][:MAX_TOPICS]]
    return [f"user:{user.id}:{topic}" for topic in wanted]


def audience(conversation: Conversation) -> list[User]:
    """Everyone who may see the conversation: its clients' accounts and the staff the policy lets in."""
    return audiences([conversation])[conversation]


def audiences(conversations: list[Conversation]) -> dict[Conversation, list[User]]:
    """Everyone who may see each of the conversations, in a fixed number of queries however many there are."""
    ids = [conversation.id for conversation in conversations]
    writers: dict[int, set[int]] = defaultdict(set)
    for conversation_id, sender_id in db.session.execute(
            select(Message.conversation_id, Message.sender_id).where(Message.conversation_id.in_(ids)).distinct()):
        writers[conversation_id].add(sender_id)
    staff: dict[int, list[User]] = defaultdict(list)
    for user in db.session.scalars(select(User).where(User.workspace_id.in_({c.workspace_id for c in conversations}),
                                                      User.client_id.is_(None), User.disabled_at.is_(None))):
        staff[user.workspace_id].append(user)
    clients = {member.client for conversation in conversations for member in conversation.members}
    accounts: dict[int, list[User]] = defaultdict(list)
    for user in db.session.scalars(select(User).where(User.client_id.in_({client.id for client in clients}),
                                                      User.disabled_at.is_(None))):
        accounts[user.client_id].append(user)
    _load_care_teams(clients)
    return {conversation: [u for u in [*staff[conversation.workspace_id],
                                       *(a for m in conversation.members for a in accounts[m.client_id])]
                           if may_see_conversation(u, conversation, took_part=u.id in writers[conversation.id])]
            for conversation in conversations}


def _load_care_teams(clients: set[Client]) -> None:
    """Each client's care team in one query, for the policy to read, where the session has not loaded it yet."""
    wanted = {client.id: client for client in clients if "care_team" in inspect(client).unloaded}
    teams: dict[int, list[User]] = {client_id: [] for client_id in wanted}
    for user, client_id in db.session.execute(
            select(User, care_team.c.client_id).join(care_team, care_team.c.user_id == User.id)
            .where(care_team.c.client_id.in_(wanted)).order_by(User.name)):
        teams[client_id].append(user)
    for client_id, team in teams.items():
        set_committed_value(wanted[client_id], "care_team", team)


def conversation_changed(conversation: Conversation, message: Message | None = None,
                         state_changed: bool = False) -> list[User]:
    """Push what changed in a conversation (a new message, its status, badges, list rows) to everyone who may see it.

    `state_changed` (opened or closed) also pushes the client's reply area; otherwise it is left alone, so
    that nothing a client is typing gets replaced.
    """
    db.session.flush()
    viewers = audience(conversation)
    with _rendering():
        render = _Fragments()  # the page context (branding and such) once, not once per fragment
        for viewer in viewers:
            lists = "inbox" if viewer.is_staff else "messages"
            context = {"viewer": viewer, "conversation": conversation, "message": message, "live": True,
                       "state_changed": state_changed, "unread": unread_in(viewer, conversation),
                       "form": ReplyForm(meta={"csrf": False}, formdata=None)}
            publish(f"user:{viewer.id}:conversation-{conversation.id}",
                    render("inbox/live/conversation.html", (viewer.id,), context))
            publish(f"user:{viewer.id}:{lists}", render("inbox/live/row.html", (viewer.id,), context))
            publish(f"user:{viewer.id}:badges",
                    render("inbox/live/badges.html", (viewer.id,), {"viewer": viewer, "live": True}))
            if viewer.is_client:
                count, senders = unread_for_client(viewer.client_id)
                publish(f"user:{viewer.id}:home", render("inbox/live/client_card.html", (viewer.id,),
                                                         {"unread_count": count, "unread_from": senders, **context}))
    return viewers


def conversations_closed(conversations: list[Conversation]) -> None:
    """Push a batch of closes, in a fixed number of queries: each conversation's status to everyone who may see it,
    and to each viewer one push with their rows of the batch, changed where they are on the list.

    A close changes no unread count, so no badges or home cards go out. A fragment that looks the same to several
    viewers (same side, time zone and practice) is rendered once; the status, the same for every conversation
    closed at once but for its id, once per batch.
    """
    db.session.flush()
    audience_of = audiences(conversations)
    unread = unread_in_each(audience_of)
    rows: dict[User, list[str]] = defaultdict(list)
    with _rendering():
        render = _Fragments()
        for conversation, viewers in audience_of.items():
            status = (conversation.closed_at, conversation.closed_reason)
            for viewer in viewers:
                looks = (viewer.is_staff, viewer.time_zone, viewer.workspace_id)
                context = {"viewer": viewer, "conversation": _AnyOf(conversation), "live": True,
                           "state_changed": True}
                publish(f"user:{viewer.id}:conversation-{conversation.id}",
                        render("inbox/live/conversation.html", (*looks, *status), context)
                        .replace(_AnyOf.id, str(conversation.id)))
                context.update(conversation=conversation, unread=(viewer.id, conversation.id) in unread, in_place=True)
                rows[viewer].append(render("inbox/_conversation_row.html",
                                           (conversation.id, *looks, context["unread"]), context))
    for viewer, html in rows.items():
        publish(f"user:{viewer.id}:{'inbox' if viewer.is_staff else 'messages'}", "".join(html))


class _AnyOf:
    """A closed conversation standing in for all those closed with it: rendered once, each gets its own id after."""

    id = "{conversation-id}"

    def __init__(self, conversation: Conversation):
        self._conversation = conversation

    def __getattr__(self, name: str):
        return getattr(self._conversation, name)


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


class _Fragments:
    """Renders a fragment once per key, with the page context (branding and such) worked out once for them all."""

    def __init__(self):
        self._page: dict = {}
        current_app.update_template_context(self._page)
        self._made: dict[tuple, str] = {}

    def __call__(self, template: str, key: tuple, context: dict) -> str:
        if (template, key) not in self._made:
            self._made[template, key] = current_app.jinja_env.get_template(template).render({**self._page, **context})
        return self._made[template, key]


def _rendering():
    """Links in pushed fragments need a request context; jobs (the 48-hour close) have none of their own."""
    if has_request_context():
        return nullcontext()
    return current_app.test_request_context(base_url=current_app.config["PORCH_BASE_URL"])
