"""Who may see and act on client records. Owners and admins: every client; practitioners: their roster."""

from sqlalchemy import Select

from app.auth.models import User
from app.auth.policy import is_practice_admin
from app.clients.models import Client, care_team
from app.tenancy import scoped


def sees_every_client(user: User) -> bool:
    return is_practice_admin(user)


def visible_clients(user: User) -> Select:
    query = scoped(Client)
    if not sees_every_client(user):
        query = query.join(care_team, care_team.c.client_id == Client.id).where(care_team.c.user_id == user.id)
    return query


def may_see_client(user: User, client: Client) -> bool:
    if not user.is_staff or user.workspace_id != client.workspace_id:
        return False
    return sees_every_client(user) or any(member.id == user.id for member in client.care_team)


def may_manage_portal(user: User, client: Client) -> bool:
    return may_see_client(user, client)
