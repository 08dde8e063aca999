"""The e-mails telling a client that their login address changed: to the old address and to the new one, at most
once each, naming nothing but the practice."""

from app.clients.models import AddressChangeNotice
from app.mail import link_to, send_mail
from jobs import job
from jobs.delivery import deliver_once, resend_due


@job
def send_address_change_notice(notice_id: int) -> None:
    deliver_once(AddressChangeNotice, notice_id, wanted=lambda notice: True, mail=_mail)


def _mail(notice: AddressChangeNotice) -> None:
    workspace = notice.client.workspace
    send_mail(notice.email, "login_address_changed", sender_name=workspace.name, workspace=workspace,
              workspace_id=workspace.id, to_new_address=notice.to_new_address, link=link_to("auth.portal_login"))


def sweep_address_change_notices() -> None:
    resend_due(AddressChangeNotice, send_address_change_notice)
