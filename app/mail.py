"""E-mail: send_mail() renders a template, hands it to the configured transport and records it.

Every mail is recorded in the outbox table. The body is kept there only when the outbox is the
transport (embedded mode without SMTP_URL), where it is the way to read the mail at all.
"""

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app, render_template, url_for
from sqlalchemy import ForeignKey, Index, String, update
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.db import EncryptedText, db

SMTP_TIMEOUT_SECONDS = 30
# Mails whose link lets whoever holds it into the recipient's account (a reset or sign-in link, unlike an invite,
# which makes a new account): the Outbox never shows them to anyone else.
SIGN_IN_TEMPLATES = frozenset({"password_reset"})


class MailRefused(Exception):
    """The mail server refused the address for good; `reason` is what it said."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class MailDeferred(Exception):
    """A failure that may pass (server down, mailbox busy): try again later."""


class OwedEmail:
    """The columns of a row that stands for an e-mail Porch owes someone; jobs.delivery sends it at most once.

    `attempts` counts real tries; a passing failure waits until `next_attempt_at`, and after
    PORCH_MAIL_RETRY_HOURS of them since `trying_since` the e-mail is given up on.
    """

    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    trying_since: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(String(500))

    @property
    def retrying(self) -> bool:
        return self.sent_at is None and self.failed_at is None and self.next_attempt_at is not None

    def mark_sent(self, at: datetime) -> None:
        self.sent_at, self.claimed_until, self.next_attempt_at, self.failure_reason = at, None, None, None

    def owe_again(self) -> None:
        """An unsent e-mail that is wanted anew (a reminder whose time came back): a fresh start, a fresh window."""
        self.failed_at = self.failure_reason = self.trying_since = self.next_attempt_at = None

    def mark_failed(self, at: datetime, reason: str) -> None:
        self.failed_at, self.failure_reason = at, reason[:500]
        self.claimed_until = self.next_attempt_at = None

    def retry_at(self, when: datetime, reason: str) -> None:
        self.next_attempt_at, self.failure_reason, self.claimed_until = when, reason[:500], None


class OwedLinkEmail(OwedEmail):
    """An owed e-mail carrying a one-time link. Only the token's hash finds the row; while the e-mail may still
    be (re)sent the token itself is kept encrypted, so a retry mails the link the person may already have."""

    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sealed_token: Mapped[str | None] = mapped_column(EncryptedText)
    expires_at: Mapped[datetime | None]

    def mark_sent(self, at: datetime) -> None:
        super().mark_sent(at)
        self.sealed_token = None

    def mark_failed(self, at: datetime, reason: str) -> None:
        super().mark_failed(at, reason)
        self.sealed_token = None

    def use_up(self, used: str = "used_at", now: datetime | None = None) -> bool:
        """Mark the link used (its `used` column set to `now`) by one conditional UPDATE, so of several requests
        using one link at once exactly one gets True; a used, revoked (`revoked_at`, if the model has one) or
        expired link gets False."""
        model, now = type(self), now or clock.now()
        where = [model.id == self.id, getattr(model, used).is_(None), model.expires_at > now]
        if hasattr(model, "revoked_at"):
            where.append(model.revoked_at.is_(None))
        claim = db.session.execute(update(model).where(*where).values({used: now})
                                   .execution_options(synchronize_session=False))
        if claim.rowcount == 1:
            setattr(self, used, now)
        return claim.rowcount == 1


def link_to(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, on PORCH_BASE_URL: jobs run outside any request."""
    with current_app.test_request_context(base_url=current_app.config["PORCH_BASE_URL"]):
        return url_for(endpoint, _external=True, **values)


class OutboxEmail(db.Model):
    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_workspace_id_id", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str | None] = mapped_column(EncryptedText)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


def mail_from_practice(workspace, to: str, template: str, **context) -> OutboxEmail:
    """send_mail() in a practice's name: its name as the sender, its branding in the template."""
    return send_mail(to, template, sender_name=workspace.name, workspace=workspace, workspace_id=workspace.id,
                     **context)


def send_mail(to: str, template: str, *, sender_name: str, attachments: tuple = (), **context) -> OutboxEmail:
    """Deliver now (call from a job); raises MailRefused or MailDeferred. The outbox row is added either way.

    `attachments` are (file name, "type/subtype", bytes, {content-type parameters}) each."""
    subject = render_template(f"mail/{template}.subject.txt", **context).strip()
    text = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", subject=subject, **context)
    message = EmailMessage()
    message["From"] = formataddr((sender_name, current_app.config["MAIL_FROM"]))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_FROM"].partition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for filename, content_type, data, params in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename, params=params)

    transport = current_app.extensions["porch.mail"]
    record = OutboxEmail(
        workspace_id=context.get("workspace_id"),
        to_address=to,
        template=template,
        subject=subject,
        body_text=text if transport.keeps_body else None,
        status="sent",
        created_at=clock.now(),
    )
    db.session.add(record)
    try:
        transport.deliver(message)
    except MailRefused as refusal:
        record.status, record.error = "refused", refusal.reason[:500]
        raise
    return record


class OutboxTransport:
    """Embedded mode: the outbox table is the mailbox (read it at /dev/outbox)."""

    keeps_body = True

    def deliver(self, message: EmailMessage) -> None:
        pass


class SmtpTransport:
    """smtp://user:password@host:port (add ?starttls=1 to upgrade) or smtps:// for TLS from the start."""

    keeps_body = False

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.tls = parts.scheme == "smtps"
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    def deliver(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reason = next(iter(error.recipients.values()))
            raise _by_code(code, reason) from error
        except smtplib.SMTPResponseException as error:
            raise _by_code(error.smtp_code, error.smtp_error) from error
        except (OSError, smtplib.SMTPException) as error:
            raise MailDeferred(str(error)) from error

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS,
                                    context=ssl.create_default_context())
        return smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)


def _by_code(code: int, reason: bytes | str) -> Exception:
    text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    if 500 <= code < 600:
        return MailRefused(f"{code} {text}")
    return MailDeferred(f"{code} {text}")


def init_app(app: Flask) -> None:
    url = app.config["SMTP_URL"]
    app.extensions["porch.mail"] = SmtpTransport(url) if url else OutboxTransport()
