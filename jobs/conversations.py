from sqlalchemy import func, select

from app import clock
from app.db import db
from app.inbox import service
from app.inbox.models import ConversationClient, Message, MessageNotification
from app.mail import link_to, mail_from_practice
from jobs import job
from jobs.delivery import deliver_once, resend_due


@job
def close_if_quiet(conversation_id: int) -> None:
    """Scheduled for 48 h after a staff message in Reply-only mode; re-reads everything, closes at most once."""
    service.close_if_quiet(conversation_id)


@job
def send_message_notification(notification_id: int) -> None:
    notification = db.session.get(MessageNotification, notification_id)
    if notification is None or notification.due_at > clock.now():
        return  # not yet: its scheduled job or a later sweep sends it
    deliver_once(MessageNotification, notification_id, wanted=_still_unread, mail=_mail)


def _still_unread(notification: MessageNotification) -> bool:
    """Worth an e-mail only if the client still wants them and hasn't read what the practice wrote."""
    member = db.session.get(ConversationClient, (notification.conversation_id, notification.client_id))
    account = member.client.account if member else None
    if account is None or not account.is_active or not account.message_emails:
        return False
    newest = db.session.scalar(select(func.max(Message.created_at)).where(
        Message.conversation_id == notification.conversation_id, Message.sender_id != account.id))
    return newest is not None and (member.last_read_at is None or newest > member.last_read_at)


def _mail(notification: MessageNotification) -> None:
    member = db.session.get(ConversationClient, (notification.conversation_id, notification.client_id))
    workspace = member.client.workspace
    link = link_to("portal_messages.show", conversation_id=notification.conversation_id)
    mail_from_practice(workspace, member.client.account.email, "new_message", link=link)


def sweep_conversations() -> None:
    """Quiet closes and message e-mails that are due but were never run (lost jobs, restarts)."""
    while service.close_quiet_batch():
        pass
    resend_due(MessageNotification, send_message_notification, MessageNotification.due_at <= clock.now())
