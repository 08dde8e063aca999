"""Which clients + Compose and Create group offer: all of them in a select at a small practice, a search beyond.

A practice with up to `LIST_ALL_UP_TO` clients the viewer may write to keeps the plain list; a larger one gets a
search (the client list's name-or-e-mail search) showing at most `MATCHES_SHOWN` clients, plus the ones already
chosen, so the page costs the same few queries at 10 clients or 10,000.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from app.clients.models import Client
from app.clients.service import matching_clients
from app.db import db
from app.inbox.policy import clients_staff_may_message

LIST_ALL_UP_TO = 100
MATCHES_SHOWN = 20


@dataclass
class Offer:
    clients: list[Client]  # what the page lists: every client, or the chosen ones then the matches
    searching: bool  # too many clients to list: the page shows a search
    more: bool  # the search matched more than it shows


def clients_on_offer(staff_user, q: str, chosen_ids: list[int]) -> Offer:
    """The clients to offer `staff_user`, given the search text `q` and the ids already chosen (kept, when the
    policy lets this viewer write to them: a crafted id of anyone else is simply not offered, so it's refused)."""
    allowed = clients_staff_may_message(staff_user)
    by_name = (Client.last_name, Client.first_name, Client.id)
    many = db.session.scalar(select(func.count()).select_from(
        allowed.with_only_columns(Client.id).limit(LIST_ALL_UP_TO + 1).subquery())) > LIST_ALL_UP_TO
    if not many:
        return Offer(list(db.session.scalars(allowed.order_by(*by_name))), False, False)
    chosen = list(db.session.scalars(allowed.where(Client.id.in_(chosen_ids)).order_by(*by_name))) \
        if chosen_ids else []
    matches = []
    if q.strip():
        matches = list(db.session.scalars(matching_clients(allowed, q).order_by(*by_name).limit(MATCHES_SHOWN + 1)))
    more = len(matches) > MATCHES_SHOWN
    chosen_set = {c.id for c in chosen}
    return Offer(chosen + [c for c in matches[:MATCHES_SHOWN] if c.id not in chosen_set], True, more)
