from app.appointments.staff_notices import PracticeNotice
from app.mail import link_to, mail_from_practice
from jobs import job
from jobs.delivery import deliver_once, resend_due


@job
def send_practice_notice(notice_id: int) -> None:
    deliver_once(PracticeNotice, notice_id, wanted=_still_wanted, mail=_mail)


def sweep_practice_notices() -> None:
    """Send every booking notice e-mail that no job has sent (a lost job, a restart, a mail server that deferred)."""
    resend_due(PracticeNotice, send_practice_notice, PracticeNotice.email.is_not(None))


def _still_wanted(notice: PracticeNotice) -> bool:
    return notice.email is not None and notice.user.is_active


def _mail(notice: PracticeNotice) -> None:
    user = notice.user
    mail_from_practice(user.workspace, notice.email, "booking_change", who=notice.who,
                       what=notice.what, starts_at=notice.starts_at, time_zone=user.time_zone,
                       link=link_to("booking_requests.index"))
