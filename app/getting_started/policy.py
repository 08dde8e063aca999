from app.auth.models import User


def sees_getting_started(user: User) -> bool:
    """The checklist is the owner's: the one who sets the practice up."""
    return user.is_staff and user.role == "owner"
