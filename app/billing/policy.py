"""Who may see what of a practice's money."""

from app.auth.models import User
from app.auth.policy import is_practice_admin


def may_see_practice_billing(user: User) -> bool:
    """Practice → Billing (what every client owes, what came in each month) is for those who run the practice;
    a practitioner sees the invoices of their own clients on each client's record."""
    return is_practice_admin(user)
