from app.auth.models import User
from app.auth.policy import is_practice_admin


def may_read_audit_log(user: User) -> bool:
    return is_practice_admin(user)
