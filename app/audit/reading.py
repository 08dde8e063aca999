"""Reading the audit trail: what staff opened of one client's (for that client), and the practice's whole log."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.clients.models import Client
from app.clients.service import matching_clients
from app.db import db
from app.documents.models import Document
from app.forms.models import FormRequest

PAGE_SIZE = 25

# What a staff member did with a client's things, as the client reads it; {item} is filled in per row.
VIEWS = {
    "client.viewed": ("opened", "your record"),
    "form_response.viewed": ("opened", "your {title} answers"),
    "document.viewed": ("looked at", "your {kind} “{title}”"),
    "document.opened": ("opened", "your {kind} “{title}”"),
    "document.downloaded": ("downloaded", "your {kind} “{title}”"),
}
UNKNOWN_ITEM = {"form_request": "one of your form responses", "document": "one of your documents"}


@dataclass
class Viewing:
    id: int
    at: datetime
    who: str
    verb: str
    item: str


def viewings_of(client: Client, before: int | None = None, size: int = PAGE_SIZE) -> tuple[list[Viewing], int | None]:
    """Newest first, `size` at a time (keyset on the row id); the id to continue before, or None at the end."""
    query = (select(AuditEvent, User.name).join(User, User.id == AuditEvent.actor_user_id)
             .where(AuditEvent.workspace_id == client.workspace_id, AuditEvent.client_id == client.id,
                    AuditEvent.action.in_(VIEWS), User.client_id.is_(None))
             .order_by(AuditEvent.id.desc()).limit(size + 1))
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = db.session.execute(query).all()
    more = len(rows) > size
    rows = rows[:size]
    subjects = _subjects(client, [event for event, _ in rows])
    viewings = []
    for event, name in rows:
        verb, item = VIEWS[event.action]
        subject = subjects.get((event.subject_type, event.subject_id))
        if "{" in item:
            item = item.format(**subject) if subject else UNKNOWN_ITEM.get(_kind_of(event.action), "an item")
        viewings.append(Viewing(event.id, event.at, name, verb, item))
    return viewings, (rows[-1][0].id if more else None)


def _kind_of(action: str) -> str:
    return "form_request" if action.startswith("form_response") else "document"


def _subjects(client: Client, events: list[AuditEvent]) -> dict[tuple[str, int], dict]:
    """The items the rows name, looked up once per page and only among this client's own."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.subject_type and event.subject_id:
            wanted.setdefault(event.subject_type, set()).add(event.subject_id)
    found: dict[tuple[str, int], dict] = {}
    if ids := wanted.get("form_request"):
        for form in db.session.scalars(select(FormRequest).where(FormRequest.id.in_(ids),
                                                                 FormRequest.client_id == client.id)):
            found["form_request", form.id] = {"title": form.title}
    if ids := wanted.get("document"):
        for document in db.session.scalars(select(Document).where(Document.id.in_(ids),
                                                                  Document.client_id == client.id)):
            kind = "upload" if document.origin == "client" else document.kind_label.lower()
            found["document", document.id] = {"kind": kind, "title": document.title}
    return found


@dataclass
class LogFilter:
    person_id: int | None = None
    client: str | None = None  # part of a client's name or e-mail
    action: str | None = None
    since: date | None = None
    until: date | None = None


def log_page(workspace_id: int, time_zone: str, chosen: LogFilter, before: int | None = None,
             size: int = PAGE_SIZE) -> tuple[list, int | None]:
    """(event, actor's name, client) rows of the workspace's log, newest first, keyset on the row id."""
    query = (select(AuditEvent, User, Client)
             .outerjoin(User, User.id == AuditEvent.actor_user_id)
             .outerjoin(Client, Client.id == AuditEvent.client_id)
             .where(AuditEvent.workspace_id == workspace_id)
             .order_by(AuditEvent.id.desc()).limit(size + 1))
    zone = ZoneInfo(time_zone)
    if chosen.person_id:
        query = query.where(AuditEvent.actor_user_id == chosen.person_id)
    if chosen.client:
        # The clients the text finds (the client list's search, a trigram index on PostgreSQL): what was done
        # about them, and what their portal logins did.
        clients = matching_clients(select(Client.id).where(Client.workspace_id == workspace_id), chosen.client)
        logins = select(User.id).where(User.workspace_id == workspace_id, User.client_id.in_(clients))
        query = query.where(or_(AuditEvent.client_id.in_(clients), AuditEvent.actor_user_id.in_(logins)))
    if chosen.action:
        query = query.where(AuditEvent.action == chosen.action)
    if chosen.since:
        query = query.where(AuditEvent.at >= datetime.combine(chosen.since, time(), zone))
    if chosen.until:
        query = query.where(AuditEvent.at < datetime.combine(chosen.until + timedelta(days=1), time(), zone))
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = db.session.execute(query).all()
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1][0].id if more else None)


def actions_in(workspace_id: int) -> list[str]:
    """The distinct actions in the workspace's log, in order. A skip scan: the index on (workspace_id, action)
    is asked for the first action, then for the next one after it, and so on, so the cost grows with the number
    of distinct actions (a few dozen), not with the log's millions of rows (which SELECT DISTINCT would read)."""
    def first_after(last=None):
        query = select(AuditEvent.action).where(AuditEvent.workspace_id == workspace_id)
        if last is not None:
            query = query.where(AuditEvent.action > last)
        return query.order_by(AuditEvent.action).limit(1).scalar_subquery()

    found = select(first_after().label("action")).cte("found", recursive=True)
    found = found.union_all(select(first_after(found.c.action)).where(found.c.action.is_not(None)))
    return list(db.session.scalars(select(found.c.action).where(found.c.action.is_not(None))
                                   .order_by(found.c.action)))
