from app.auth.models import User
from app.auth.policy import is_practice_admin


def may_change_workspace_settings(user: User) -> bool:
    return is_practice_admin(user)
