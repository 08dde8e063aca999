"""Who may start, reply to, see and be messaged in conversations: the communication-mode table, in one place.

| mode           | client may start           | client may reply | staff may message                  | auto-close |
| reply_only     | no                         | while open       | any client                         | 48 h       |
| never_initiate | no                         | while open       | any client                         | no         |
| assigned_only  | yes, with assigned staff   | yes              | assigned clients (owner/admin: all) | no         |
| all_clients    | yes, with anyone           | yes              | anyone                             | no         |

A closed conversation takes no client reply in any mode; staff writing in it opens it again.
"""

from datetime import timedelta

from app.auth.models import User
from app.auth.policy import is_practice_admin
from app.clients.models import Client
from app.clients.policy import sees_every_client, visible_clients
from app.inbox.models import Conversation
from app.tenancy import scoped

REPLY_ONLY = "reply_only"
NEVER_INITIATE = "never_initiate"
ASSIGNED_ONLY = "assigned_only"
ALL_CLIENTS = "all_clients"
MODES = {
    REPLY_ONLY: ("Reply only", "Clients can't start conversations. They can reply while a conversation is open; "
                               "it closes 48 hours after a staff message with no reply."),
    NEVER_INITIATE: ("Never initiate", "Clients can't start conversations. They can reply while a conversation "
                                       "is open; nothing closes by itself."),
    ASSIGNED_ONLY: ("Assigned clients only", "Clients can start conversations with their assigned staff. "
                                             "Practitioners message only their own clients."),
    ALL_CLIENTS: ("All clients", "Clients can start conversations with anyone in the practice, and anyone "
                                 "can message any client."),
}
QUIET_CLOSE_AFTER = timedelta(hours=48)


def on_care_team(staff_user: User, client: Client) -> bool:
    return any(member.id == staff_user.id for member in client.care_team)


def closes_when_quiet(mode: str) -> bool:
    return mode == REPLY_ONLY


def may_start_conversation(client_user: User) -> bool:
    """May this client open a new conversation at all?"""
    mode = client_user.workspace.communication_mode
    if mode == ALL_CLIENTS:
        return True
    return mode == ASSIGNED_ONLY and bool(client_user.client.care_team)


def staff_a_client_may_write_to(client_user: User, staff: list[User]) -> list[User]:
    mode = client_user.workspace.communication_mode
    if mode == ALL_CLIENTS:
        return staff
    if mode == ASSIGNED_ONLY:
        return [s for s in staff if on_care_team(s, client_user.client)]
    return []


def may_message_client(staff_user: User, client: Client) -> bool:
    """May this staff member write to this client (start, compose, reply)?"""
    if not staff_user.is_staff or staff_user.workspace_id != client.workspace_id:
        return False
    if staff_user.workspace.communication_mode == ASSIGNED_ONLY and not sees_every_client(staff_user):
        return on_care_team(staff_user, client)
    return True


def clients_staff_may_message(staff_user: User):
    """`may_message_client` as a query, so a picker can search and count without loading every client."""
    query = scoped(Client).where(Client.portal_disabled_at.is_(None))
    if staff_user.workspace.communication_mode == ASSIGNED_ONLY:
        query = visible_clients(staff_user).where(Client.portal_disabled_at.is_(None))
    return query


def may_see_conversation(user: User, conversation: Conversation, took_part: bool = False) -> bool:
    """Clients: conversations they are in. Owners/admins: all. Practitioners: their clients', theirs, or joined."""
    if user.workspace_id != conversation.workspace_id:
        return False
    if user.is_client:
        return any(m.client_id == user.client_id for m in conversation.members)
    if sees_every_client(user) or took_part or conversation.staff_user_id == user.id:
        return True
    return any(on_care_team(user, m.client) for m in conversation.members)


def may_reply(user: User, conversation: Conversation, took_part: bool = False) -> bool:
    if not may_see_conversation(user, conversation, took_part):
        return False
    if user.is_client:
        return conversation.is_open
    return all(may_message_client(user, m.client) for m in conversation.members)


def may_close(user: User, conversation: Conversation, took_part: bool = False) -> bool:
    return user.is_staff and conversation.is_open and may_see_conversation(user, conversation, took_part)


def may_change_mode(user: User) -> bool:
    return is_practice_admin(user)
