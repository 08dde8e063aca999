"""The client's side of messaging: their conversations, reading, replying, and starting one where allowed."""

from flask import Blueprint, abort, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth.access import client_required
from app.auth.models import User
from app.db import db
from app.form_base import options
from app.inbox import live
from app.inbox.display import thread_page
from app.inbox.forms import NewConversationForm, ReplyForm
from app.inbox.models import Conversation
from app.inbox.policy import may_reply, may_see_conversation, may_start_conversation, staff_a_client_may_write_to
from app.inbox.queries import conversations_of
from app.inbox.service import mark_read, post_message, start_conversation
from app.pages import fragment_or_see_other, render, see_other, wants_fragment
from app.paging import cursor_arg
from app.tenancy import get_or_404

bp = Blueprint("portal_messages", __name__, url_prefix="/portal/messages")


def conversation_or_404(conversation_id: int) -> Conversation:
    conversation = get_or_404(Conversation, conversation_id)
    if not may_see_conversation(current_user, conversation):
        abort(404)
    return conversation


@bp.get("")
@client_required
def index():
    page = conversations_of(current_user.client, cursor_arg(request.args.get("after")))
    return render("inbox/portal_index.html", "inbox/_conversation_list.html", rows=page.items, page=page,
                  may_start=may_start_conversation(current_user),
                  viewer=current_user, live_topics=["messages"])


@bp.route("/new", methods=["GET", "POST"])
@client_required
def new():
    if not may_start_conversation(current_user):
        abort(403)
    staff = db.session.scalars(select(User).where(User.workspace_id == current_user.workspace_id,
                                                  User.client_id.is_(None), User.disabled_at.is_(None))
                               .order_by(User.name)).all()
    recipients = staff_a_client_may_write_to(current_user, list(staff))
    form = NewConversationForm()
    form.staff.choices = options((s.id, s.name) for s in recipients)
    if form.validate_on_submit():
        to = next(s for s in recipients if s.id == form.staff.data)
        conversation = start_conversation(current_user, [current_user.client], form.body.data,
                                          form.request_key.data, staff=to)
        db.session.commit()
        return see_other(url_for("portal_messages.show", conversation_id=conversation.id))
    return render("inbox/portal_new.html", form=form, http_status=422 if form.is_submitted() else 200)


@bp.get("/<int:conversation_id>")
@client_required
def show(conversation_id: int):
    conversation = _read(conversation_id)
    before = cursor_arg(request.args.get("before"))
    return render("inbox/portal_show.html", "inbox/_older.html" if before else None, older_in_place=wants_fragment(),
                  **thread_page(conversation, current_user, ReplyForm(), before=before))


@bp.get("/<int:conversation_id>/messages")
@client_required
def messages(conversation_id: int):
    """The message list alone: what the page polls when its live socket is down."""
    conversation = _read(conversation_id)
    return render("inbox/portal_show.html", "inbox/_messages.html",
                  **thread_page(conversation, current_user, ReplyForm()))


@bp.post("/<int:conversation_id>/seen")
@client_required
def seen(conversation_id: int):
    """The open conversation page saw a message pushed to it live: read, so no "New" and no e-mail for it."""
    _read(conversation_id)
    return "", 204


@bp.post("/<int:conversation_id>")
@client_required
def reply(conversation_id: int):
    conversation = conversation_or_404(conversation_id)
    form = ReplyForm()
    if not may_reply(current_user, conversation):
        # Closed: keep what they wrote on the page, so nothing typed is lost.
        return render("inbox/portal_show.html", "inbox/_reply_area.html", http_status=403, unsent=form.body.data,
                      refresh=True, **thread_page(conversation, current_user, form))
    if not form.validate_on_submit():
        return render("inbox/portal_show.html", "inbox/_reply_area.html", http_status=422,
                      **thread_page(conversation, current_user, form))
    post_message(conversation, current_user, form.body.data, form.request_key.data)
    db.session.commit()
    return fragment_or_see_other(
        "inbox/portal_show.html", "inbox/_reply_area.html",
        url_for("portal_messages.show", conversation_id=conversation.id),
        lambda: {"refresh": True, **thread_page(conversation, current_user, ReplyForm(formdata=None))})


def _read(conversation_id: int) -> Conversation:
    """The client's conversation, read up to now."""
    conversation = conversation_or_404(conversation_id)
    if mark_read(current_user, conversation):
        live.read_live(current_user, conversation)  # published when this commits
    db.session.commit()
    return conversation
