"""Who may do what with forms. Staff who may see a client may send them forms and read their answers."""

from app.auth.models import User
from app.clients.models import Client
from app.clients.policy import may_see_client


def may_send_forms(user: User, client: Client) -> bool:
    return may_see_client(user, client)


def may_read_responses(user: User, client: Client) -> bool:
    return may_see_client(user, client)


def may_build_forms(user: User) -> bool:
    return user.is_staff
