"""Which client records the signed-in staff member may open."""

from flask import abort
from flask_login import current_user

from app.clients.models import Client
from app.clients.policy import visible_clients
from app.db import db


def client_or_404(client_id: int) -> Client:
    """The client with this id, if the signed-in staff member may see them; 404 otherwise."""
    client = db.session.scalar(visible_clients(current_user).where(Client.id == client_id))
    if client is None:
        abort(404)
    return client
