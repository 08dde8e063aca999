"""Who may book, change and cancel a client's appointments: staff who may see the client. Who may set up online
booking (practice admins), set a practitioner's hours (the practitioner, or an admin) and answer a request (its
practitioner, or an admin)."""

from app.appointments.models import Appointment
from app.auth.models import User
from app.auth.policy import is_practice_admin
from app.clients.models import Client
from app.clients.policy import may_see_client


def may_book(user: User, client: Client) -> bool:
    return may_see_client(user, client)


def may_change(user: User, client: Client, appointment: Appointment) -> bool:
    return may_book(user, client) and appointment.cancelled_at is None


def may_set_up_booking(user: User) -> bool:
    """The booking rules and the services."""
    return is_practice_admin(user)


def may_set_hours_of(user: User, practitioner: User) -> bool:
    return (user.is_staff and practitioner.is_staff and user.workspace_id == practitioner.workspace_id
            and (user.id == practitioner.id or is_practice_admin(user)))


def may_see_requests_of(user: User, practitioner: User | None) -> bool:
    """Whose pending requests `user` may list: their own; an admin anyone's, or everyone's (None)."""
    if not user.is_staff:
        return False
    if is_practice_admin(user):
        return True
    return practitioner is not None and practitioner.id == user.id


def may_answer_request(user: User, appointment: Appointment) -> bool:
    return (appointment.status == "requested" and appointment.cancelled_at is None
            and may_see_requests_of(user, appointment.practitioner))
