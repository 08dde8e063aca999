"""The practice's staff: roles, deactivation, and each practitioner's roster (their care-team clients)."""

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.audit.trail import record
from app.auth.models import PasswordReset, User
from app.auth.policy import PRACTICE_ADMIN_ROLES, is_practice_admin
from app.auth.sessions import end_sessions_of
from app.clients.models import Client, care_team
from app.clients.service import SEARCH_MAX
from app.db import contains, db
from app.inbox.unread import conversations_of_client, recount_unread
from app.paging import Page, page_of
from app.team.models import StaffInvite
from app.tenancy import Workspace

MEMBERS_PER_PAGE = 50
ROSTER_PER_PAGE = 25
CANDIDATES_PER_PAGE = 10


class LastOwner(Exception):
    """The change would leave the practice without an active owner."""

    def __init__(self, workspace: Workspace):
        super().__init__(f"{workspace.name} needs at least one active owner. Make someone else an owner first.")


def team_page(workspace_id: int, number: int) -> Page:
    query = select(User).where(User.workspace_id == workspace_id, User.client_id.is_(None)) \
        .order_by(User.disabled_at.is_not(None), User.name, User.id)
    return page_of(query, number, MEMBERS_PER_PAGE)


def open_invites_page(workspace_id: int, number: int) -> Page:
    query = select(StaffInvite).where(StaffInvite.workspace_id == workspace_id, StaffInvite.revoked_at.is_(None),
                                      StaffInvite.accepted_at.is_(None)).order_by(StaffInvite.created_at.desc(),
                                                                                  StaffInvite.id.desc())
    return page_of(query, number, MEMBERS_PER_PAGE)


def _hold_the_team(workspace_id: int) -> Workspace:
    """Take the workspace row's write lock for this transaction, so that two changes at once can't each leave
    the other as the last owner and together leave none. An UPDATE, not SELECT ... FOR UPDATE: on SQLite it
    takes the database's write lock before the owners are counted."""
    db.session.execute(update(Workspace).where(Workspace.id == workspace_id).values(id=Workspace.id)
                       .execution_options(synchronize_session=False))
    return db.session.get(Workspace, workspace_id)


def _other_active_owners(member: User) -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.workspace_id == member.workspace_id, User.client_id.is_(None), User.role == "owner",
        User.disabled_at.is_(None), User.id != member.id))


def change_role(member: User, new_role: str) -> None:
    workspace = _hold_the_team(member.workspace_id)
    db.session.refresh(member)
    if member.role == new_role:
        return
    if member.role == "owner" and member.is_active and _other_active_owners(member) == 0:
        raise LastOwner(workspace)
    before, member.role = member.role, new_role
    if is_practice_admin(member) != (before in PRACTICE_ADMIN_ROLES):  # they now see every conversation, or not
        recount_unread(member.workspace_id, staff=[member.id])
    record("staff.role_changed", workspace_id=member.workspace_id, subject_user_id=member.id,
           detail=f"{before} → {new_role}")


def deactivate(member: User) -> None:
    """They can't sign in any more and every device of theirs is signed out at once (live sockets too);
    their conversations, records and care teams stay, so that reactivating gives everything back."""
    workspace = _hold_the_team(member.workspace_id)
    db.session.refresh(member)
    if not member.is_active:
        return
    if member.role == "owner" and _other_active_owners(member) == 0:
        raise LastOwner(workspace)
    member.disabled_at = clock.now()
    end_sessions_of(member)
    db.session.execute(update(PasswordReset).where(  # so that reactivating doesn't bring an old link back
        or_(PasswordReset.user_id == member.id, PasswordReset.email == member.email),
        PasswordReset.used_at.is_(None), PasswordReset.revoked_at.is_(None)).values(revoked_at=member.disabled_at))
    record("staff.deactivated", workspace_id=member.workspace_id, subject_user_id=member.id)


def reactivate(member: User) -> None:
    if member.is_active:
        return
    member.disabled_at = None
    record("staff.reactivated", workspace_id=member.workspace_id, subject_user_id=member.id)


def _named(query, text: str):
    text = text.strip()[:SEARCH_MAX]
    if not text:
        return query
    like = contains(text)
    full_name = Client.first_name + " " + Client.last_name
    return query.where(or_(full_name.ilike(like, escape="\\"), Client.email.ilike(like, escape="\\")))


def _on_roster(member: User):
    return select(care_team.c.client_id).where(care_team.c.user_id == member.id)


def roster_page(member: User, text: str, number: int) -> Page:
    """The clients whose care team `member` is on."""
    query = select(Client).where(Client.workspace_id == member.workspace_id, Client.id.in_(_on_roster(member)))
    return page_of(_named(query, text).order_by(Client.last_name, Client.first_name, Client.id), number,
                   ROSTER_PER_PAGE)


def candidates_page(member: User, text: str, number: int) -> Page:
    """The practice's clients not on `member`'s roster, found by name or e-mail."""
    query = select(Client).where(Client.workspace_id == member.workspace_id, Client.id.not_in(_on_roster(member)))
    return page_of(_named(query, text).order_by(Client.last_name, Client.first_name, Client.id), number,
                   CANDIDATES_PER_PAGE)


def add_to_roster(member: User, client: Client) -> bool:
    """Put `member` on `client`'s care team; False if they were on it already (a repeated click)."""
    if db.session.scalar(select(care_team.c.client_id).where(care_team.c.user_id == member.id,
                                                             care_team.c.client_id == client.id)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.execute(insert(care_team).values(client_id=client.id, user_id=member.id))
    except IntegrityError:  # the same click, posted twice at once
        return False
    recount_unread(client.workspace_id, conversations_of_client(client), [member.id])
    record("care_team.changed", workspace_id=client.workspace_id, client_id=client.id, subject_user_id=member.id,
           detail="added")
    return True


def remove_from_roster(member: User, client: Client) -> bool:
    removed = db.session.execute(delete(care_team).where(care_team.c.user_id == member.id,
                                                         care_team.c.client_id == client.id)).rowcount
    if removed:
        recount_unread(client.workspace_id, conversations_of_client(client), [member.id])
        record("care_team.changed", workspace_id=client.workspace_id, client_id=client.id,
               subject_user_id=member.id, detail="removed")
    return bool(removed)
