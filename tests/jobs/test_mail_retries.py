"""A mail server that defers (greylisting, an outage) gets the e-mail later, once; only a refusal or a day of
deferrals gives up. Time moves on Porch's clock; the SMTP server is real."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import clock
from app.auth.models import PasswordReset
from app.auth.resets import request_password_reset
from app.clients.invites import portal_status, send_portal_invite
from app.clients.models import PortalInvite
from app.db import db
from jobs.invites import send_invite_email
from jobs.sweeps import run_sweeps
from tests.conftest import run_jobs

START = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def invite_aisha(practice) -> PortalInvite:
    invite = send_portal_invite(practice.aisha, sent_by=practice.carlos)
    db.session.commit()
    return invite


def every_minute_for(minutes: int, *also) -> None:
    """What a running Porch does each minute: the sweep, plus whatever else (an RQ retry of the job)."""
    for _ in range(minutes):
        clock.advance(timedelta(minutes=1))
        run_sweeps()
        for run in also:
            run()


def test_it_delivers_once_when_the_server_stops_deferring_after_ten_minutes(smtp_server, practice, app):
    clock.freeze(START)
    smtp_server.deferring_until = START + timedelta(minutes=10)
    invite = invite_aisha(practice)
    run_jobs(app)
    every_minute_for(40, lambda: send_invite_email(invite.id))
    assert len(smtp_server.to("aisha@example.com")) == 1
    db.session.refresh(invite)
    assert portal_status(practice.aisha).state == "invited"
    assert invite.attempts == 5  # at 0, 1, 3, 8 and 18 minutes: neither the sweep nor a job retry counts twice
    assert invite.sent_at == START + timedelta(minutes=18)


def test_it_shows_when_it_tries_again_in_the_practice_time_zone(smtp_server, practice, app, as_user):
    clock.freeze(START)
    smtp_server.deferring_until = START + timedelta(hours=1)
    invite_aisha(practice)
    run_jobs(app)
    page = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    shown = 'retrying (next try at <time datetime="2026-12-02T14:01:00Z">2 Dec 2026, 9:01 AM EST</time>)'
    assert page.count(shown) == 2  # the portal panel and the Activity list
    assert "451 4.2.1 Mailbox busy" in page


def test_it_gives_up_after_a_day_of_deferrals_with_the_reason(smtp_server, practice, app, as_user):
    clock.freeze(START)
    smtp_server.deferring_until = START + timedelta(days=2)
    invite = invite_aisha(practice)
    run_jobs(app)
    tries = 1
    while invite.failed_at is None and tries < 100:
        clock.freeze(invite.next_attempt_at - timedelta(seconds=1))
        run_sweeps()  # not yet due: no attempt
        clock.freeze(invite.next_attempt_at)
        run_sweeps()
        tries += 1
        db.session.refresh(invite)
    assert invite.attempts == tries
    assert invite.failed_at >= START + timedelta(hours=24)
    assert invite.failed_at < START + timedelta(hours=25)
    assert invite.failure_reason.startswith("The mail server kept deferring it for 24 hours; last: 451 4.2.1")
    assert portal_status(practice.aisha).state == "not_delivered"
    assert smtp_server.messages == []
    page = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert "Invite not delivered" in page and "kept deferring it for 24 hours" in page


def test_it_keeps_trying_for_as_long_as_the_practice_configures(smtp_server, practice, make_app):
    app = make_app(PORCH_MAIL_RETRY_HOURS=48)
    with app.app_context():
        clock.freeze(START)
        smtp_server.deferring_until = START + timedelta(hours=30)
        invite = invite_aisha(practice)
        run_jobs(app)
        while invite.sent_at is None and invite.failed_at is None:
            clock.freeze(invite.next_attempt_at)
            run_sweeps()
            db.session.refresh(invite)
        assert invite.sent_at is not None
        assert len(smtp_server.to("aisha@example.com")) == 1


def test_it_marks_a_refusal_not_delivered_at_once(smtp_server, practice, app):
    practice.aisha.email = "refused-aisha@example.com"
    invite = invite_aisha(practice)
    run_jobs(app)
    db.session.refresh(invite)
    assert invite.attempts == 1 and invite.next_attempt_at is None
    assert invite.failure_reason.startswith("550 5.1.1")
    assert portal_status(practice.aisha).state == "not_delivered"


def test_it_retries_a_password_reset_with_the_link_it_first_made(smtp_server, practice, app):
    clock.freeze(START)
    smtp_server.deferring_until = START + timedelta(minutes=2)
    request_password_reset(practice.carlos.email)
    db.session.commit()
    run_jobs(app)
    first_hash = db.session.scalar(select(PasswordReset.token_hash))
    every_minute_for(5)
    [message] = smtp_server.to(practice.carlos.email)
    reset = db.session.scalar(select(PasswordReset))
    assert reset.attempts == 3 and reset.token_hash == first_hash
    assert reset.sealed_token is None  # once sent, only the hash is kept
    assert "/password/reset/" in message.get_body(("plain",)).get_content()

