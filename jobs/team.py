from app.audit.trail import record
from app.clients.invites import INVITE_TTL
from app.mail import link_to, mail_from_practice
from app.team.models import StaffInvite
from jobs import job
from jobs.delivery import mail_link_once, resend_due


@job
def send_staff_invite_email(invite_id: int) -> None:
    mail_link_once(StaffInvite, invite_id, ttl=INVITE_TTL, wanted=_still_wanted, mail=_mail, after_sent=_audit)


def sweep_staff_invites() -> None:
    resend_due(StaffInvite, send_staff_invite_email, StaffInvite.revoked_at.is_(None),
               StaffInvite.accepted_at.is_(None))


def _still_wanted(invite: StaffInvite) -> bool:
    return invite.revoked_at is None and invite.accepted_at is None


def _mail(invite: StaffInvite, token: str) -> None:
    workspace = invite.workspace
    mail_from_practice(workspace, invite.email, "staff_invite", link=link_to("team.accept", token=token),
                       login_link=link_to("auth.login"), role=invite.role,
                       expires_at=invite.expires_at, time_zone=workspace.time_zone)


def _audit(invite: StaffInvite) -> None:
    record("staff_invite.sent", workspace_id=invite.workspace_id, actor_user_id=invite.created_by_user_id,
           detail=invite.role)
