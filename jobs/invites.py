from app.audit.trail import record
from app.clients.invites import INVITE_TTL
from app.clients.models import PortalInvite
from app.mail import link_to, mail_from_practice
from jobs import job
from jobs.delivery import mail_link_once, resend_due


@job
def send_invite_email(invite_id: int) -> None:
    mail_link_once(PortalInvite, invite_id, ttl=INVITE_TTL, wanted=_still_wanted, mail=_mail, after_sent=_audit)


def sweep_invites() -> None:
    resend_due(PortalInvite, send_invite_email, PortalInvite.revoked_at.is_(None), PortalInvite.accepted_at.is_(None))


def _still_wanted(invite: PortalInvite) -> bool:
    return invite.revoked_at is None and invite.accepted_at is None and invite.client.portal_disabled_at is None


def _mail(invite: PortalInvite, token: str) -> None:
    workspace = invite.client.workspace
    mail_from_practice(workspace, invite.email, "portal_invite", link=link_to("portal.accept", token=token),
                       login_link=link_to("auth.portal_login"),
                       expires_at=invite.expires_at, time_zone=invite.client.time_zone)


def _audit(invite: PortalInvite) -> None:
    record("portal_invite.sent", workspace_id=invite.workspace_id, client_id=invite.client_id,
           actor_user_id=invite.created_by_user_id)
