from app.auth.models import User
from app.mail import SIGN_IN_TEMPLATES, OutboxEmail
from app.settings.policy import may_change_workspace_settings


def may_read_outbox(user: User) -> bool:
    return may_change_workspace_settings(user)


def may_read_email(user: User, email: OutboxEmail) -> bool:
    """A client's invite, yes (a practice without SMTP hands it on by hand); another's way into their account, no."""
    return email.template not in SIGN_IN_TEMPLATES or email.to_address == user.email
