"""Staff invites: the same link rules as portal invites (random, hashed, single use, 7 days, a re-send kills
the old link); accepting one makes the colleague's login with the role they were invited with."""

from dataclasses import dataclass

from sqlalchemy import update

from app import clock
from app.audit.trail import record
from app.auth.models import User
from app.auth.passwords import hash_password
from app.auth.resets import LinkProblem
from app.auth.sessions import find_user, normalise_email
from app.auth.tokens import new_token
from app.clients.invites import INVITE_TTL, invite_behind, invite_used_up
from app.db import db
from app.inbox.unread import recount_unread
from app.queue import enqueue
from app.team.models import StaffInvite
from app.tenancy import Workspace, repeat_of


class AddressHasLogin(Exception):
    """The address already signs in to Porch (here or elsewhere): one login per address."""


def invite_staff(workspace: Workspace, sent_by: User | None, *, email: str, name: str, role: str,
                 request_key: str | None = None) -> StaffInvite:
    """Record an invite and hand its e-mail to a job. An earlier open invite to the same address stops working."""
    repeat = repeat_of(StaffInvite, workspace.id, request_key)
    if repeat is not None:
        return repeat
    email = normalise_email(email)
    if find_user(email) is not None:
        raise AddressHasLogin(email)
    now = clock.now()
    _revoke_open_invites(workspace.id, email)
    invite = StaffInvite(workspace_id=workspace.id, email=email, name=name.strip(), role=role,
                         created_by_user_id=sent_by.id if sent_by else None, request_key=request_key,
                         created_at=now)
    db.session.add(invite)
    db.session.flush()
    enqueue("jobs.team.send_staff_invite_email", invite.id)
    record("staff.invited", workspace_id=workspace.id, detail=role,
           actor_user_id=sent_by.id if sent_by else None)
    return invite


def hand_out_staff_invite(workspace: Workspace, *, email: str, name: str, role: str) -> str:
    """An invite whose link the operator passes on themselves (`flask porch add-staff`): no e-mail is sent.
    Returns the token for the link; as for a mailed invite, only its hash is kept."""
    email = normalise_email(email)
    if find_user(email) is not None:
        raise AddressHasLogin(email)
    now = clock.now()
    _revoke_open_invites(workspace.id, email)
    token, token_hash = new_token()
    db.session.add(StaffInvite(workspace_id=workspace.id, email=email, name=name.strip(), role=role,
                               token_hash=token_hash, expires_at=now + INVITE_TTL, sent_at=now, created_at=now))
    record("staff.invited", workspace_id=workspace.id, detail=role)
    return token


def add_staff_with_password(workspace: Workspace, *, email: str, name: str, role: str, password: str) -> User:
    """A colleague's login made by the operator, who chose its password."""
    email = normalise_email(email)
    if find_user(email) is not None:
        raise AddressHasLogin(email)
    colleague = User(workspace_id=workspace.id, email=email, name=name.strip(), role=role,
                     password_hash=hash_password(password), created_at=clock.now())
    db.session.add(colleague)
    db.session.flush()
    recount_unread(colleague.workspace_id, staff=[colleague.id])  # an owner or admin sees what is unread already
    _revoke_open_invites(workspace.id, email)
    record("staff.added", workspace_id=workspace.id, subject_user_id=colleague.id, detail=role)
    return colleague


def resend_staff_invite(invite: StaffInvite, sent_by: User) -> StaffInvite:
    """A fresh invite with the same name and role; the link mailed before dies."""
    return invite_staff(invite.workspace, sent_by, email=invite.email, name=invite.name, role=invite.role)


def cancel_staff_invite(invite: StaffInvite) -> None:
    _revoke_open_invites(invite.workspace_id, invite.email)
    record("staff.invite_cancelled", workspace_id=invite.workspace_id, detail=invite.role)


def _revoke_open_invites(workspace_id: int, email: str) -> None:
    db.session.execute(update(StaffInvite).where(
        StaffInvite.workspace_id == workspace_id, StaffInvite.email == email,
        StaffInvite.revoked_at.is_(None), StaffInvite.accepted_at.is_(None),
    ).values(revoked_at=clock.now(), sealed_token=None).execution_options(synchronize_session="fetch"))


def staff_invite_for(token: str) -> StaffInvite:
    """The staff invite behind a link, if it can still be accepted; LinkProblem (with a 4xx status) if not."""
    return invite_behind(StaffInvite, token, lambda invite: invite.workspace)


def accept_staff_invite(invite: StaffInvite, password: str) -> User:
    """Make the colleague's login. Claimed by one conditional UPDATE: of several posts of one link at once exactly
    one makes the login; the others get LinkProblem (roll back before answering)."""
    if find_user(invite.email) is not None:
        raise LinkProblem("This e-mail address already has a login here. Log in with it, or ask "
                          f"{invite.workspace.name} to invite you at another address.", 409)
    password_hash = hash_password(password)  # slow on purpose: done before the claim takes the row
    now = clock.now()
    if not invite.use_up("accepted_at", now):
        raise invite_used_up(invite.workspace.name)
    colleague = User(workspace_id=invite.workspace_id, email=invite.email, name=invite.name, role=invite.role,
                     password_hash=password_hash, created_at=now)
    db.session.add(colleague)
    db.session.flush()
    recount_unread(colleague.workspace_id, staff=[colleague.id])  # an owner or admin sees what is unread already
    db.session.execute(update(StaffInvite).where(StaffInvite.id == invite.id).values(user_id=colleague.id)
                       .execution_options(synchronize_session=False))
    _revoke_open_invites(invite.workspace_id, invite.email)
    record("staff.joined", workspace_id=invite.workspace_id, actor_user_id=colleague.id,
           subject_user_id=colleague.id, detail=invite.role)
    return colleague


@dataclass(frozen=True)
class InviteStatus:
    state: str  # sending · invited · expired · not_delivered
    label: str


def invite_status(invite: StaffInvite) -> InviteStatus:
    if invite.failed_at is not None:
        return InviteStatus("not_delivered", "Invite not delivered")
    if invite.sent_at is None:
        return InviteStatus("sending", "Sending invite")
    if invite.expires_at <= clock.now():
        return InviteStatus("expired", "Invite expired")
    return InviteStatus("invited", "Invited")
