"""Who may change the team: owners run everything; admins run the team but never make, change or remove owners."""

from app.auth.models import STAFF_ROLES, User
from app.auth.policy import is_practice_admin


def may_manage_team(user: User) -> bool:
    return is_practice_admin(user)


def roles_they_may_give(user: User) -> tuple[str, ...]:
    if not may_manage_team(user):
        return ()
    return STAFF_ROLES if user.role == "owner" else tuple(r for r in STAFF_ROLES if r != "owner")


def may_invite(user: User, role: str) -> bool:
    return role in roles_they_may_give(user)


def _may_act_on(actor: User, member: User) -> bool:
    """Same practice, a staff login, and an owner only by an owner."""
    return (may_manage_team(actor) and member.is_staff and member.workspace_id == actor.workspace_id
            and (member.role != "owner" or actor.role == "owner"))


def may_change_role(actor: User, member: User, new_role: str) -> bool:
    return _may_act_on(actor, member) and new_role in roles_they_may_give(actor)


def may_deactivate(actor: User, member: User) -> bool:
    """Not oneself: the one signing out would be the one who could undo it."""
    return _may_act_on(actor, member) and member.id != actor.id and member.is_active


def may_reactivate(actor: User, member: User) -> bool:
    return _may_act_on(actor, member) and not member.is_active


def may_change_care_team(actor: User, member: User) -> bool:
    return may_manage_team(actor) and member.is_staff and member.workspace_id == actor.workspace_id
