"""Client records: adding one (and what the workspace's automations do then), finding them."""

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.audit.trail import record
from app.auth.models import User
from app.auth.sessions import normalise_email
from app.clients.invites import send_portal_invite
from app.clients.models import Client
from app.db import contains, db
from app.forms.service import send_intake_form
from app.tenancy import Workspace, repeat_of

SEARCH_MAX = 100


class EmailInUse(Exception):
    """Another client of this workspace already has that e-mail address."""


def staff_of(workspace_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.workspace_id == workspace_id,
                                                      User.client_id.is_(None)).order_by(User.name)))


def find_clients(query, text: str) -> list[Client]:
    """Clients from `query` whose name or e-mail contains `text`."""
    text = text.strip()[:SEARCH_MAX]
    if text:
        like = contains(text)
        full_name = Client.first_name + " " + Client.last_name
        query = query.where(or_(full_name.ilike(like, escape="\\"), Client.email.ilike(like, escape="\\")))
    return list(db.session.scalars(query.order_by(Client.last_name, Client.first_name)))


def create_client(workspace: Workspace, created_by: User, *, first_name: str, last_name: str, email: str | None,
                  phone: str | None, date_of_birth, time_zone: str, care_team_ids: list[int],
                  request_key: str) -> Client:
    """Add a client record; a repeat of the same form (same request key) returns the first record."""
    repeat = repeat_of(Client, workspace.id, request_key)
    if repeat is not None:
        return repeat
    email = normalise_email(email) if email else None
    if email and db.session.scalar(select(Client.id).where(Client.workspace_id == workspace.id,
                                                           Client.email == email)):
        raise EmailInUse(email)
    team = [u for u in staff_of(workspace.id) if u.id in set(care_team_ids)]
    client = Client(workspace_id=workspace.id, first_name=first_name.strip(), last_name=last_name.strip(),
                    email=email, phone=phone or None,
                    birth_date=date_of_birth.isoformat() if date_of_birth else None,
                    time_zone=time_zone, request_key=request_key, care_team=team, created_at=clock.now())
    db.session.add(client)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        repeat = repeat_of(Client, workspace.id, request_key)
        if repeat is not None:
            return repeat
        raise EmailInUse(email) from error
    record("client.created", workspace_id=workspace.id, client_id=client.id)
    if workspace.automate_portal_invites and client.email:
        send_portal_invite(client, sent_by=created_by)
    send_intake_form(client, sent_by=created_by)
    return client
