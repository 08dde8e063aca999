"""Who may book, change and cancel a client's appointments: staff who may see the client."""

from app.appointments.models import Appointment
from app.auth.models import User
from app.clients.models import Client
from app.clients.policy import may_see_client


def may_book(user: User, client: Client) -> bool:
    return may_see_client(user, client)


def may_change(user: User, client: Client, appointment: Appointment) -> bool:
    return may_book(user, client) and appointment.cancelled_at is None
