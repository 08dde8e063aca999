"""What the Outbox shows of the mails a reader may not open: whom they went to, never their link."""

from dataclasses import dataclass

from sqlalchemy import select

from app.auth.models import User
from app.db import db
from app.dev.policy import may_read_email
from app.mail import OutboxEmail


@dataclass(frozen=True)
class SealedEmail:
    address: str  # partly masked: "carlos@…"
    recipient: str  # who alone may open it: the account's first name


def sealed_for(reader: User, emails: list[OutboxEmail]) -> dict[int, SealedEmail]:
    """The mails among `emails` that `reader` may not open, by id."""
    sealed = [email for email in emails if not may_read_email(reader, email)]
    if not sealed:
        return {}
    names = dict(db.session.execute(select(User.email, User.name).where(
        User.workspace_id == reader.workspace_id, User.email.in_({email.to_address for email in sealed}))).all())
    return {email.id: SealedEmail(masked(email.to_address), first_name(names.get(email.to_address)))
            for email in sealed}


def first_name(name: str | None) -> str:
    return name.split()[0] if name and name.split() else "the recipient"


def masked(address: str) -> str:
    return address.partition("@")[0] + "@…"
