"""The e-mail telling a client that the practice shared something: at most once, and without health data."""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from app import clock
from app.db import db
from app.documents.models import Document
from app.documents.service import drop_abandoned_uploads
from app.mail import MailDeferred, MailRefused, send_mail
from jobs import job

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12


def notice_due():
    """Documents whose e-mail is still to go and that no one is sending right now."""
    return (Document.notice_sent_at.is_(None), Document.notice_failed_at.is_(None), Document.unshared_at.is_(None),
            or_(Document.notice_claimed_until.is_(None), Document.notice_claimed_until < clock.now()))


@job
def send_document_notice(document_id: int) -> None:
    claimed = db.session.execute(update(Document).where(Document.id == document_id, *notice_due()).values(
        notice_claimed_until=clock.now() + CLAIM_LEASE, notice_attempts=Document.notice_attempts + 1))
    db.session.commit()
    if claimed.rowcount != 1:
        return
    document = db.session.get(Document, document_id)
    client, now = document.client, clock.now()
    account = client.account
    if account is None or not account.is_active or client.portal_disabled_at is not None:
        document.notice_failed_at, document.notice_claimed_until = now, None
        db.session.commit()
        return
    workspace = client.workspace
    try:
        send_mail(account.email, "document_shared", sender_name=workspace.name, workspace=workspace,
                  workspace_id=workspace.id, link=f"{current_app.config['PORCH_BASE_URL']}/portal/documents")
    except MailRefused:
        document.notice_failed_at, document.notice_claimed_until = now, None
        db.session.commit()
        return
    except MailDeferred:
        db.session.rollback()
        document = db.session.get(Document, document_id)
        document.notice_claimed_until = None
        if document.notice_attempts >= MAX_ATTEMPTS:
            document.notice_failed_at = now
        db.session.commit()
        raise
    document.notice_sent_at, document.notice_claimed_until = now, None
    db.session.commit()


def sweep_documents() -> None:
    """Send the notices a dropped job left behind; delete uploads abandoned for a day."""
    due = db.session.scalars(select(Document.id).where(*notice_due())).all()
    db.session.commit()
    for document_id in due:
        try:
            send_document_notice(document_id)
        except MailDeferred:
            log.warning("send_document_notice(%s) deferred; it stays due", document_id)
    drop_abandoned_uploads()
