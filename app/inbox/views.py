"""The practitioner's inbox: conversations, + Compose, Create group, reading, replying, closing."""

from flask import Blueprint, abort, request, url_for
from flask_login import current_user
from wtforms.widgets import ListWidget, RadioInput

from app.auth.access import staff_required
from app.db import db
from app.form_base import options
from app.inbox import live
from app.inbox.display import (
    conversation_title,
    conversation_url,
    members_line,
    not_reading_yet,
    sender_label,
    thread_page,
)
from app.inbox.forms import ComposeForm, GroupForm, ReplyForm
from app.inbox.models import Conversation, unread_for_client
from app.inbox.picker import Offer, clients_on_offer
from app.inbox.policy import may_close, may_message_client, may_reply, may_see_conversation
from app.inbox.queries import conversations_with, inbox, took_part, unread_count_for_staff
from app.inbox.service import close_by_hand, mark_read, post_message, start_conversation
from app.pages import fragment_or_see_other, render, see_other, wants_fragment
from app.paging import cursor_arg
from app.tenancy import get_or_404

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
STATUSES = ("open", "closed", "all")


def conversation_or_404(conversation_id: int) -> tuple[Conversation, bool]:
    """The conversation, if this staff member may see it (404 otherwise), and whether they wrote in it."""
    conversation = get_or_404(Conversation, conversation_id)
    wrote = took_part(current_user, conversation)
    if not may_see_conversation(current_user, conversation, wrote):
        abort(404)
    return conversation, wrote


@bp.get("")
@staff_required
def index():
    status = request.args.get("status", "open")
    status = status if status in STATUSES else "open"
    q = request.args.get("q", "")[:100]
    page = inbox(current_user, status, q, cursor_arg(request.args.get("after")))
    return render("inbox/index.html", "inbox/_conversation_list.html", rows=page.items, page=page,
                  status=status, q=q, viewer=current_user, live_topics=["inbox"])


def _as_choices(field, offer: Offer, labels: dict | None = None) -> None:
    """Fill a client field from the offer: a select (or checkboxes) when every client fits, radios otherwise."""
    labels = labels or {}
    field.choices = options((c.id, c.full_name + labels.get(c.id, "")) for c in offer.clients)
    if offer.searching and field.type == "SelectField":
        field.widget, field.option_widget = ListWidget(prefix_label=False), RadioInput()


def _searched() -> bool:
    """The Find button was pressed: show the matches again, keeping what was written, without sending."""
    return request.method == "POST" and "find" in request.form


@bp.route("/compose", methods=["GET", "POST"])
@staff_required
def compose():
    """Staff are warned, before they write, when the chosen client can't read it yet (the conversation's page
    says so too)."""
    form = ComposeForm(client=request.args.get("client", type=int))
    q = request.values.get("q", "")[:100]
    offer = clients_on_offer(current_user, q, [form.client.data] if isinstance(form.client.data, int) else [])
    not_reading = dict(not_reading_yet(offer.clients))
    _as_choices(form.client, offer, {c.id: " (not in the portal yet)" for c in not_reading})
    if not offer.searching:
        form.client.render_kw = {"hx-get": url_for("inbox.compose"), "hx-trigger": "change",
                                 "hx-target": "#reader-note", "hx-swap": "outerHTML"}
    chosen = next((c for c in offer.clients if c.id == form.client.data), None)
    warning = [(chosen, not_reading[chosen])] if chosen in not_reading else []
    if not _searched() and form.validate_on_submit():
        conversation = start_conversation(current_user, [chosen], form.body.data, form.request_key.data)
        db.session.commit()
        return see_other(url_for("inbox.show", conversation_id=conversation.id))
    failed = form.is_submitted() and not _searched()
    return render("inbox/compose.html", "inbox/_reader_note.html", form=form, not_reading=warning, offer=offer,
                  q=q, http_status=422 if failed else 200)


@bp.route("/groups/new", methods=["GET", "POST"])
@staff_required
def new_group():
    form = GroupForm()
    q = request.values.get("q", "")[:100]
    chosen_ids = [i for i in (form.clients.data or []) if isinstance(i, int)]
    offer = clients_on_offer(current_user, q, chosen_ids)
    _as_choices(form.clients, offer)
    if not _searched() and form.validate_on_submit():
        by_id = {c.id: c for c in offer.clients}
        clients = [by_id[client_id] for client_id in form.clients.data]
        conversation = start_conversation(current_user, clients, form.body.data, form.request_key.data,
                                          title=form.title.data)
        db.session.commit()
        return see_other(url_for("inbox.show", conversation_id=conversation.id))
    failed = form.is_submitted() and not _searched()
    return render("inbox/new_group.html", form=form, offer=offer, q=q, http_status=422 if failed else 200)


@bp.get("/<int:conversation_id>")
@staff_required
def show(conversation_id: int):
    conversation, wrote = _read(conversation_id)
    before = cursor_arg(request.args.get("before"))
    return render("inbox/show.html", "inbox/_older.html" if before else None, older_in_place=wants_fragment(),
                  **thread_page(conversation, current_user, ReplyForm(), wrote, before=before))


@bp.get("/<int:conversation_id>/messages")
@staff_required
def messages(conversation_id: int):
    """The message list alone: what the page polls when its live socket is down."""
    conversation, wrote = _read(conversation_id)
    return render("inbox/show.html", "inbox/_messages.html",
                  **thread_page(conversation, current_user, ReplyForm(), wrote))


@bp.post("/<int:conversation_id>")
@staff_required
def reply(conversation_id: int):
    conversation, wrote = conversation_or_404(conversation_id)
    if not may_reply(current_user, conversation, wrote):
        abort(403)
    form = ReplyForm()
    if not form.validate_on_submit():
        return render("inbox/show.html", "inbox/_reply_area.html", http_status=422,
                      **thread_page(conversation, current_user, form, wrote))
    post_message(conversation, current_user, form.body.data, form.request_key.data)
    db.session.commit()
    return _answer(conversation, wrote)


@bp.post("/<int:conversation_id>/seen")
@staff_required
def seen(conversation_id: int):
    """The open conversation page saw a message pushed to it live: read, so no "New" and no e-mail for it."""
    _read(conversation_id)
    return "", 204


@bp.post("/<int:conversation_id>/close")
@staff_required
def close(conversation_id: int):
    conversation, wrote = conversation_or_404(conversation_id)
    if not may_close(current_user, conversation, wrote):
        abort(403)
    close_by_hand(conversation, current_user)
    db.session.commit()
    return _answer(conversation, wrote)


def _read(conversation_id: int) -> tuple[Conversation, bool]:
    """The conversation (as conversation_or_404 gives it), read up to now by the signed-in staff member."""
    conversation, wrote = conversation_or_404(conversation_id)
    mark_read(current_user, conversation)
    live.read_live(current_user, conversation)  # published when this commits
    db.session.commit()
    return conversation, wrote


def _answer(conversation: Conversation, wrote: bool, notice: str | None = None):
    """After a post: for htmx the fresh reply area (messages arrive with it, out of band); else back to the page."""
    return fragment_or_see_other(
        "inbox/show.html", "inbox/_reply_area.html", url_for("inbox.show", conversation_id=conversation.id),
        lambda: {"refresh": True, **thread_page(conversation, current_user, ReplyForm(formdata=None), wrote)},
        notice=notice)


@bp.app_template_global()
def unread_badge(viewer) -> int:
    """The count on the viewer's Inbox (staff) or Messages (client) link."""
    return unread_count_for_staff(viewer) if viewer.is_staff else unread_for_client(viewer.client_id)[0]


@bp.app_template_global()
def client_conversations_panel(client) -> dict:
    """What the Messages section of a client record shows to the signed-in staff member."""
    return {"rows": conversations_with(current_user, client), "may_message": may_message_client(current_user, client)}


bp.add_app_template_global(conversation_title)
bp.add_app_template_global(conversation_url)
bp.add_app_template_global(sender_label)
bp.add_app_template_global(members_line)

