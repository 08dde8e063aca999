"""Portal invites: send, re-send (the old link dies), accept, and the portal status a record shows."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from app import clock
from app.audit.trail import record
from app.auth.models import User
from app.auth.passwords import hash_password
from app.auth.resets import LinkProblem
from app.auth.sessions import end_sessions_of, find_user
from app.auth.tokens import digest
from app.clients.models import Client, PortalInvite
from app.db import db
from app.queue import enqueue
from app.tenancy import repeat_of

INVITE_TTL = timedelta(days=7)


def send_portal_invite(client: Client, sent_by: User | None, request_key: str | None = None) -> PortalInvite:
    """Record an invite and hand its e-mail to a job. Any earlier link stops working."""
    repeat = repeat_of(PortalInvite, client.workspace_id, request_key)
    if repeat is not None:
        return repeat
    now = clock.now()
    revoke_open_invites(client, now)
    invite = PortalInvite(workspace_id=client.workspace_id, client_id=client.id, email=client.email,
                          created_by_user_id=sent_by.id if sent_by else None, request_key=request_key,
                          created_at=now)
    db.session.add(invite)
    db.session.flush()
    enqueue("jobs.invites.send_invite_email", invite.id)
    return invite


def revoke_open_invites(client: Client, now: datetime) -> None:
    db.session.execute(update(PortalInvite).where(
        PortalInvite.client_id == client.id, PortalInvite.revoked_at.is_(None), PortalInvite.accepted_at.is_(None),
    ).values(revoked_at=now, sealed_token=None))


def invite_for(token: str) -> PortalInvite:
    """The portal invite behind a link, if it can still be accepted; LinkProblem (with a 4xx status) if not."""
    return invite_behind(PortalInvite, token, lambda invite: invite.client.workspace,
                         withdrawn=lambda invite: invite.client.portal_disabled_at is not None)


def invite_behind(model, token: str, practice_of: Callable, withdrawn: Callable = lambda invite: False):
    """The invite (a client's or a colleague's) behind a link, if it can still be accepted; LinkProblem if not."""
    invite = db.session.scalar(select(model).where(model.token_hash == digest(token)))
    if invite is None:
        raise LinkProblem("This invite link isn't valid. Check that you copied the whole link, "
                          "or ask your practice to send a new one.", 404)
    practice = practice_of(invite).name
    if invite.accepted_at is not None:
        raise invite_used_up(practice)
    if invite.revoked_at is not None or withdrawn(invite):
        raise LinkProblem(f"This invite link is no longer valid — ask {practice} to send a new one.", 410)
    if invite.expires_at is None or invite.expires_at <= clock.now():
        raise LinkProblem(f"This invite link has expired — ask {practice} to send a new one.", 410)
    return invite


def invite_used_up(practice: str) -> LinkProblem:
    return LinkProblem("This invite link has already been used. Log in with the password you chose, "
                       f"or ask {practice} to send a new invite.", 410)


def accept_invite(invite: PortalInvite, password: str) -> User:
    """Create the client's portal account. Raises LinkProblem if the address already has an account.

    The invite is claimed by one conditional UPDATE, so of several posts of one link at once exactly one
    makes the account; the others get LinkProblem (roll back before answering).
    """
    client = invite.client
    if find_user(invite.email) is not None:
        raise LinkProblem("This e-mail address already has an account here. Log in with it, or ask "
                          f"{client.workspace.name} to invite you at another address.", 409)
    password_hash = hash_password(password)  # slow on purpose: done before the claim takes the row
    now = clock.now()
    if not invite.use_up("accepted_at", now):
        raise invite_used_up(client.workspace.name)
    account = User(workspace_id=client.workspace_id, email=invite.email, name=client.full_name,
                   password_hash=password_hash, client_id=client.id, created_at=now)
    db.session.add(account)
    db.session.flush()
    revoke_open_invites(client, now)
    record("portal_invite.accepted", workspace_id=client.workspace_id, client_id=client.id,
           actor_user_id=account.id)
    return account


def disable_portal(client: Client) -> None:
    now = clock.now()
    client.portal_disabled_at = now
    revoke_open_invites(client, now)
    if client.account is not None:
        client.account.disabled_at = now
        end_sessions_of(client.account)


def enable_portal(client: Client) -> None:
    client.portal_disabled_at = None
    if client.account is not None:
        client.account.disabled_at = None


@dataclass(frozen=True)
class PortalStatus:
    state: str  # not_invited · sending · invited · expired · not_delivered · active · disabled
    label: str
    invite: PortalInvite | None = None
    account: User | None = None

    @property
    def may_resend(self) -> bool:
        return self.state in ("sending", "invited", "expired", "not_delivered")

    @property
    def may_disable(self) -> bool:
        """Only where there is something to turn off: an account, or an invite whose link may still work."""
        return self.state in ("active", "sending", "invited")


def portal_statuses(clients: list[Client]) -> dict[int, PortalStatus]:
    """The portal status of each client, in two queries whatever the number of clients."""
    ids = [c.id for c in clients]
    accounts = {u.client_id: u for u in db.session.scalars(select(User).where(User.client_id.in_(ids)))}
    newest = select(func.max(PortalInvite.id)).where(PortalInvite.client_id.in_(ids)).group_by(PortalInvite.client_id)
    invites = {i.client_id: i for i in db.session.scalars(select(PortalInvite).where(PortalInvite.id.in_(newest)))}
    return {c.id: _status(c, accounts.get(c.id), invites.get(c.id)) for c in clients}


def portal_status(client: Client) -> PortalStatus:
    return portal_statuses([client])[client.id]


def _status(client: Client, account: User | None, invite: PortalInvite | None) -> PortalStatus:
    if client.portal_disabled_at is not None:
        return PortalStatus("disabled", "Disabled", invite, account)
    if account is not None:
        return PortalStatus("active", "Active", invite, account)
    if invite is None or invite.revoked_at is not None:
        return PortalStatus("not_invited", "Not invited")
    if invite.failed_at is not None:
        return PortalStatus("not_delivered", "Invite not delivered", invite)
    if invite.sent_at is None:
        return PortalStatus("sending", "Sending invite", invite)
    if invite.expires_at <= clock.now():
        return PortalStatus("expired", "Invite expired", invite)
    return PortalStatus("invited", "Invited", invite)
