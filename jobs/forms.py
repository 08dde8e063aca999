from app.forms.models import FormNotice
from app.forms.service import send_due_check_ins
from app.mail import link_to, mail_from_practice
from jobs import job
from jobs.delivery import deliver_once, resend_due


@job
def send_form_notice(notice_id: int) -> None:
    deliver_once(FormNotice, notice_id, wanted=_still_wanted, mail=_mail)


def sweep_forms() -> None:
    """Send the recurring check-ins that are due, then any form e-mail that no job has sent."""
    send_due_check_ins()
    resend_due(FormNotice, send_form_notice)


def _still_wanted(notice: FormNotice) -> bool:
    form = notice.form_request
    return form.submitted_at is None and form.client.portal_disabled_at is None


def _mail(notice: FormNotice) -> None:
    workspace = notice.form_request.workspace
    mail_from_practice(workspace, notice.email, "form_waiting", link=link_to("portal_forms.index"))
