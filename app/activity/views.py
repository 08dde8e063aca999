"""The Activity section of a client record (no pages of its own)."""

from flask import Blueprint

from app.activity.service import activity_of
from app.clients.models import Client

bp = Blueprint("activity", __name__)


@bp.app_template_global()
def client_activity(client: Client) -> list:
    return activity_of(client)
