"""Export my data: the job that builds the zip, the e-mail saying it is ready, and the sweep that cleans up."""

from app.db import db
from app.exports.models import DataExport
from app.exports.service import build, remove_spent_exports, stalled_builds
from app.mail import link_to, send_mail
from app.queue import enqueue
from jobs import job
from jobs.delivery import deliver_once, resend_due


@job
def build_export(export_id: int) -> None:
    build(export_id)


@job
def send_export_ready(export_id: int) -> None:
    deliver_once(DataExport, export_id, wanted=_still_wanted, mail=_mail)


def _still_wanted(export: DataExport) -> bool:
    account = export.client.account
    return (export.status == "ready" and export.downloaded_at is None and account is not None
            and account.is_active)


def _mail(export: DataExport) -> None:
    workspace = export.client.workspace
    send_mail(export.client.account.email, "data_export_ready", sender_name=workspace.name, workspace=workspace,
              workspace_id=workspace.id, link=link_to("portal_export.index"))


def sweep_exports() -> None:
    """Rebuild exports whose job was lost, send the e-mails a dropped job left behind, delete spent zips."""
    for export_id in stalled_builds():
        enqueue("jobs.exports.build_export", export_id)
    db.session.commit()
    resend_due(DataExport, send_export_ready, DataExport.ready_at.is_not(None))
    remove_spent_exports()
