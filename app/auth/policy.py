"""Who runs the practice: owners and admins see every client and change how the workspace works."""

from app.auth.models import User

PRACTICE_ADMIN_ROLES = ("owner", "admin")


def is_practice_admin(user: User) -> bool:
    return user.is_staff and user.role in PRACTICE_ADMIN_ROLES


def is_practice_owner(user: User) -> bool:
    return user.is_staff and user.role == "owner"


def may_require_staff_mfa(user: User) -> bool:
    return is_practice_owner(user)


def must_set_up_mfa(user: User) -> bool:
    """A staff member whose practice requires MFA and who has not set it up yet."""
    return user.is_staff and user.workspace.require_staff_mfa and not user.uses_mfa


def may_turn_off_mfa(user: User) -> bool:
    """Staff can't turn it off while their practice requires it; clients always may."""
    return not (user.is_staff and user.workspace.require_staff_mfa)
