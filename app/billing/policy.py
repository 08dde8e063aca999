"""Who may do what with a practice's money. Staff who may see a client bill them: make, edit and send invoices and
record a payment taken at the desk. Voiding an invoice, giving money back and the practice-wide figures are the
practice's decisions: owners and admins only."""

from app.auth.models import User
from app.auth.policy import is_practice_admin
from app.clients.models import Client
from app.clients.policy import may_see_client


def may_bill(user: User, client: Client) -> bool:
    return may_see_client(user, client)


def may_record_payment(user: User, client: Client) -> bool:
    return may_bill(user, client)


def may_void(user: User, client: Client) -> bool:
    return may_bill(user, client) and is_practice_admin(user)


def may_refund(user: User, client: Client) -> bool:
    return may_bill(user, client) and is_practice_admin(user)


def may_see_practice_billing(user: User) -> bool:
    """Practice → Billing (what every client owes, what came in each month) is for those who run the practice;
    a practitioner sees the invoices of their own clients on each client's record."""
    return is_practice_admin(user)
