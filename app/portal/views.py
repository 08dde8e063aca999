from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, url_for
from flask_login import current_user

from app import clock
from app.appointments.booking import may_book_online
from app.appointments.models import next_appointment
from app.auth.access import client_required
from app.auth.sessions import signed_in_before
from app.auth.views import invite_link_page
from app.billing.models import latest_invoice
from app.clients.invites import accept_invite, invite_for
from app.clients.models import Client
from app.extensions import limiter
from app.forms.models import waiting_forms
from app.inbox.models import unread_for_client
from app.pages import render, see_other, wants_fragment

bp = Blueprint("portal", __name__)

INVITE_LIMIT = "10 per minute;50 per hour"


def _client_today(client: Client) -> date:
    return clock.now().astimezone(ZoneInfo(client.time_zone)).date()


def _upcoming(client: Client) -> dict:
    return {"appointment": next_appointment(client.id, clock.now()), "may_book": may_book_online(client)}


def _forms(client: Client) -> dict:
    return {"waiting_forms": waiting_forms(client.id)}


def _messages(client: Client) -> dict:
    count, senders = unread_for_client(client.id)
    return {"unread_count": count, "unread_from": senders}


def _invoices(client: Client) -> dict:
    invoice = latest_invoice(client.id)
    return {"invoice": invoice, "invoice_status": invoice.status(_client_today(client)) if invoice else None}


CARDS = {"upcoming": _upcoming, "forms": _forms, "messages": _messages, "invoices": _invoices}


def _card_context(client: Client, names) -> dict:
    """What the named cards show; the home page asks for all four, an htmx refresh for one."""
    return {key: value for name in names for key, value in CARDS[name](client).items()}


@bp.get("/portal")
@client_required
def home():
    client = current_user.client
    return render("portal/home.html", client=client, live_topics=["home"], returning=signed_in_before(current_user),
                  **_card_context(client, CARDS))


@bp.get("/portal/cards/<name>")
@client_required
def card(name: str):
    if name not in CARDS:
        abort(404)
    client = current_user.client
    if wants_fragment():  # the card alone: no greeting, so no need to ask whether this is a return visit
        return render("portal/home.html", f"portal/_card_{name}.html", client=client, **_card_context(client, [name]))
    return render("portal/home.html", f"portal/_card_{name}.html", client=client,
                  returning=signed_in_before(current_user), **_card_context(client, CARDS))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(INVITE_LIMIT, methods=["POST"])
def accept(token: str):
    if current_user.is_authenticated and current_user.is_client:
        return see_other(url_for("portal.home"))
    return invite_link_page(token, find=invite_for, accept=accept_invite, page="portal/accept_invite.html",
                            ready="Your portal account is ready. Log in with the password you chose.",
                            login_endpoint="auth.portal_login", home=lambda account: url_for("portal.home"))
