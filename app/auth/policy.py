"""Who runs the practice: owners and admins see every client and change how the workspace works."""

from app.auth.models import User

PRACTICE_ADMIN_ROLES = ("owner", "admin")


def is_practice_admin(user: User) -> bool:
    return user.is_staff and user.role in PRACTICE_ADMIN_ROLES
