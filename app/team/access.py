"""Which colleague a Team page is about: a staff login of the signed-in user's own practice, or a 404."""

from flask import abort

from app.auth.models import User
from app.tenancy import get_or_404


def member_or_404(user_id: int) -> User:
    member = get_or_404(User, user_id)
    if not member.is_staff:
        abort(404)
    return member
