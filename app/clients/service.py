"""Client records: adding one (and what the workspace's automations do then), changing one, finding them."""

from sqlalchemy import literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import clock
from app.audit.trail import record
from app.auth.models import User
from app.auth.sessions import normalise_email
from app.clients.invites import revoke_open_invites, send_portal_invite
from app.clients.models import SEARCH_TEXT, AddressChangeNotice, Client
from app.db import contains, db
from app.forms.service import send_intake_form
from app.inbox.unread import conversations_of_client, recount_unread
from app.paging import KeysetPage, keyset_page_of
from app.queue import enqueue
from app.tenancy import Workspace, repeat_of

SEARCH_MAX = 100


class EmailInUse(Exception):
    """Another client of this workspace already has that e-mail address."""


class LoginAddressTaken(Exception):
    """Another Porch account already logs in with that address, so a client's login can't move to it."""


def staff_of(workspace_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.workspace_id == workspace_id,
                                                      User.client_id.is_(None)).order_by(User.name)))


def active_staff_of(workspace_id: int) -> list[User]:
    """The colleagues a client or an appointment may be given to: a deactivated one is offered to nobody."""
    return [user for user in staff_of(workspace_id) if user.is_active]


CLIENTS_PER_PAGE = 50


def matching_clients(query, text: str):
    """`query` narrowed to clients whose name or e-mail contains `text` (a trigram index serves it on PostgreSQL)."""
    text = text.strip()[:SEARCH_MAX]
    if text:
        query = query.where(literal_column(SEARCH_TEXT).ilike(contains(text), escape="\\"))
    return query


def client_page(query, text: str, cursor: str | None, size: int = CLIENTS_PER_PAGE) -> KeysetPage:
    """One page of matching clients by name, with their care teams loaded in one more query for the page."""
    query = matching_clients(query, text).options(selectinload(Client.care_team))
    return keyset_page_of(query, [Client.last_name, Client.first_name, Client.id], cursor, size, scope="clients")


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


EDITABLE = ("first_name", "last_name", "email", "phone", "birth_date", "time_zone", "care_team")


def update_client(client: Client, *, first_name: str, last_name: str, email: str | None, phone: str | None,
                  date_of_birth, time_zone: str, care_team_ids: list[int]) -> list[str]:
    """Change a client's details; the names of the fields that changed (audited, values never).

    A new e-mail address also moves the client's portal login to it and tells both addresses; without an
    account, an invite to the old address stops working. Raises EmailInUse or LoginAddressTaken.
    """
    email = normalise_email(email) if email else None
    old_email = client.email
    if email and email != old_email:
        if db.session.scalar(select(Client.id).where(Client.workspace_id == client.workspace_id,
                                                     Client.email == email, Client.id != client.id)):
            raise EmailInUse(email)
        if client.account is not None and db.session.scalar(select(User.id).where(User.email == email)):
            raise LoginAddressTaken(email)
    new = {"first_name": first_name.strip(), "last_name": last_name.strip(), "email": email, "phone": phone or None,
           "birth_date": date_of_birth.isoformat() if date_of_birth else None, "time_zone": time_zone,
           "care_team": [u for u in staff_of(client.workspace_id) if u.id in set(care_team_ids)]}
    changed = [name for name in EDITABLE if getattr(client, name) != new[name]]
    moved = sorted(user.id for user in set(client.care_team) ^ set(new["care_team"]))
    for name in changed:
        setattr(client, name, new[name])
    if moved:  # the client's conversations appear in (or leave) their inbox, and its badge
        recount_unread(client.workspace_id, conversations_of_client(client), moved)
    if "email" in changed:
        _move_login(client, old_email)
    if changed:
        record("client.updated", workspace_id=client.workspace_id, client_id=client.id, detail=", ".join(changed))
    return changed


def _move_login(client: Client, old_email: str | None) -> None:
    account = client.account
    if account is None:
        revoke_open_invites(client, clock.now())
        return
    if client.email is None:
        return  # the login stays where it is: an account needs an address
    account.email = client.email
    now = clock.now()
    for address, to_new in ((old_email, False), (client.email, True)):
        notice = AddressChangeNotice(workspace_id=client.workspace_id, client_id=client.id, email=address,
                                     to_new_address=to_new, created_at=now)
        db.session.add(notice)
        db.session.flush()
        enqueue("jobs.clients.send_address_change_notice", notice.id)
    record("portal_login.moved", workspace_id=client.workspace_id, client_id=client.id)
