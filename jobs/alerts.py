from app.forms.models import FormAlertEmail
from app.mail import link_to, mail_from_practice
from jobs import job
from jobs.delivery import deliver_once, resend_due


@job
def send_alert_email(email_id: int) -> None:
    deliver_once(FormAlertEmail, email_id, wanted=_still_wanted, mail=_mail)


def sweep_alerts() -> None:
    """Send every alert e-mail that no job has sent (a lost job, a restart, a mail server that deferred)."""
    resend_due(FormAlertEmail, send_alert_email)


def _still_wanted(email: FormAlertEmail) -> bool:
    return email.alert.is_open and email.user.is_active


def _mail(email: FormAlertEmail) -> None:
    workspace = email.user.workspace
    mail_from_practice(workspace, email.email, "attention_needed",
                       link=link_to("clients.show", client_id=email.alert.client_id, _anchor="needs-attention"))
