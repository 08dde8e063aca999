"""The e-mail telling a client that the practice shared something: at most once, and without health data."""

from app.documents.models import DocumentNotice
from app.documents.service import drop_abandoned_uploads
from app.mail import link_to, mail_from_practice
from jobs import job
from jobs.delivery import deliver_once, resend_due


@job
def send_document_notice(notice_id: int) -> None:
    deliver_once(DocumentNotice, notice_id, wanted=_still_wanted, mail=_mail)


def _still_wanted(notice: DocumentNotice) -> bool:
    client = notice.document.client
    account = client.account
    return (notice.document.unshared_at is None and account is not None and account.is_active
            and client.portal_disabled_at is None)


def _mail(notice: DocumentNotice) -> None:
    client = notice.document.client
    workspace = client.workspace
    mail_from_practice(workspace, client.account.email, "document_shared", link=link_to("portal_documents.index"))


def sweep_documents() -> None:
    """Send the notices a dropped job left behind; delete uploads abandoned for a day."""
    resend_due(DocumentNotice, send_document_notice)
    drop_abandoned_uploads()
