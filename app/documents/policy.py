"""Who may open which document. Staff: the documents of the clients they may see; a client: their own uploads
and what the practice shares with them now."""

from app.auth.models import User
from app.clients.policy import may_see_client
from app.documents.models import Document


def may_open(user: User, document: Document) -> bool:
    if user.workspace_id != document.workspace_id:
        return False
    if user.is_staff:
        return may_see_client(user, document.client)
    if user.client_id != document.client_id:
        return False
    return document.origin == "client" or document.unshared_at is None

