"""E-mails about new messages: no text, at most one per conversation per 15 minutes, only if wanted and unread."""

from datetime import timedelta

from app import clock
from app.db import db
from app.inbox.service import READ_LIVE_GRACE
from jobs.conversations import send_message_notification
from tests.conftest import run_jobs
from tests.inbox.conftest import write


def after_the_grace() -> None:
    """Past the time an open page has to say it saw a message live."""
    clock.freeze(clock.now() + READ_LIVE_GRACE)


def test_it_emails_the_client_without_the_message_text(smtp_server, practice, chat, app):
    after_the_grace()
    run_jobs(app)
    [email] = smtp_server.to("aisha@example.com")
    assert email["Subject"] == "You have a new message from Brunswick Practice"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert f"http://porch.test/portal/messages/{chat.id}" in text
    for secret in ("exercises", "Carlos", "Aisha", "Rahman"):
        assert secret not in text and secret not in html


def test_it_sends_at_most_one_email_per_conversation_per_15_minutes(smtp_server, practice, chat, app):
    after_the_grace()
    run_jobs(app)
    clock.freeze(clock.now() + timedelta(minutes=1))
    write(chat, practice.carlos, "Also: bring your shoes.")
    write(chat, practice.carlos, "And water.")
    run_jobs(app)
    assert len(smtp_server.to("aisha@example.com")) == 1
    clock.advance(timedelta(minutes=14, seconds=1))
    run_jobs(app)
    assert len(smtp_server.to("aisha@example.com")) == 2


def test_it_sends_nothing_when_the_client_read_it_first(smtp_server, practice, chat, aisha_account, app, as_user):
    after_the_grace()
    run_jobs(app)
    clock.freeze(clock.now() + timedelta(minutes=1))
    write(chat, practice.carlos, "Another thought.")
    as_user(aisha_account).get(f"/portal/messages/{chat.id}")
    clock.advance(timedelta(minutes=15))
    run_jobs(app)
    assert len(smtp_server.to("aisha@example.com")) == 1


def test_it_sends_nothing_to_a_client_who_turned_them_off(smtp_server, practice, aisha_account, app):
    aisha_account.message_emails = False
    db.session.commit()
    from app.inbox.service import start_conversation
    from tests.inbox.conftest import key

    start_conversation(practice.carlos, [practice.aisha], "Hello", key())
    db.session.commit()
    run_jobs(app)
    assert smtp_server.to("aisha@example.com") == []


def test_it_sends_one_email_when_the_job_runs_twice(smtp_server, practice, chat, app):
    from sqlalchemy import select

    from app.inbox.models import MessageNotification

    notification_id = db.session.scalar(select(MessageNotification.id))
    after_the_grace()
    send_message_notification(notification_id)
    send_message_notification(notification_id)
    assert len(smtp_server.to("aisha@example.com")) == 1


def test_it_never_emails_about_a_clients_own_message(smtp_server, practice, chat, aisha_account, app):
    after_the_grace()
    run_jobs(app)
    clock.freeze(clock.now() + timedelta(hours=1))
    write(chat, aisha_account, "My own reply")
    run_jobs(app)
    assert len(smtp_server.to("aisha@example.com")) == 1


def test_it_sends_no_email_for_a_message_the_client_read_live(smtp_server, practice, chat, aisha_account, app,
                                                             as_user):
    aisha = as_user(aisha_account)
    aisha.get(f"/portal/messages/{chat.id}")  # her page is open on the conversation
    clock.freeze(clock.now() + timedelta(seconds=1))
    write(chat, practice.carlos, "Are you free on Thursday?")
    run_jobs(app)
    assert aisha.post(f"/portal/messages/{chat.id}/seen").status_code == 204  # the pushed message's page says so
    after_the_grace()
    run_jobs(app)
    clock.advance(timedelta(hours=1))
    run_jobs(app)
    assert smtp_server.to("aisha@example.com") == []
    assert "tag-due" not in aisha.get("/portal/messages").get_data(as_text=True)


def test_it_still_emails_when_no_open_page_saw_the_message(smtp_server, practice, chat, aisha_account, app, as_user):
    as_user(aisha_account).get(f"/portal/messages/{chat.id}")
    clock.freeze(clock.now() + timedelta(seconds=1))
    write(chat, practice.carlos, "Are you free on Thursday?")
    after_the_grace()
    run_jobs(app)
    assert len(smtp_server.to("aisha@example.com")) == 1
