from app.auth.models import User

SETTINGS_ROLES = ("owner", "admin")


def may_change_workspace_settings(user: User) -> bool:
    return user.is_staff and user.role in SETTINGS_ROLES
