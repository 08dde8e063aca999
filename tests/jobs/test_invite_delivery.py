"""Invite e-mails: sent by a job, exactly once, with no health data, through a real SMTP server."""

import time
import uuid
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.clients.invites import portal_status, send_portal_invite
from app.clients.models import PortalInvite
from app.db import db
from app.mail import OutboxEmail
from jobs.invites import send_invite_email
from jobs.sweeps import run_sweeps
from tests.conftest import make_client, run_jobs, run_rq_worker


def record_invite(client) -> PortalInvite:
    invite = send_portal_invite(client, sent_by=None)
    db.session.commit()
    return invite


def test_it_mails_the_invite_without_health_data(smtp_server, practice, app):
    practice.aisha.phone, practice.aisha.birth_date = "+1 555 0199", "1991-03-14"
    record_invite(practice.aisha)
    run_jobs(app)
    [message] = smtp_server.to("aisha@example.com")
    assert message["Subject"] == "Your Brunswick Practice portal invite"
    assert message["From"].startswith("Brunswick Practice <")
    text = message.get_body(("plain",)).get_content()
    assert "http://porch.test/invite/" in text
    assert "expires on" in text
    html = message.get_body(("html",)).get_content()
    for secret in ("Aisha", "Rahman", "0199", "1991", "Carlos"):
        assert secret not in text and secret not in html and secret not in message["Subject"]


def test_it_sends_one_email_when_the_job_runs_twice(smtp_server, practice, app):
    invite = record_invite(practice.aisha)
    send_invite_email(invite.id)
    send_invite_email(invite.id)
    assert len(smtp_server.to("aisha@example.com")) == 1
    assert db.session.scalar(select(PortalInvite.sent_at)) is not None


def test_it_marks_a_refused_address_not_delivered_with_the_reason(smtp_server, practice, app, as_user):
    dev = make_client(practice.workspace, "Dev", "Patel", "refused-dev@example.net", care_team=[practice.carlos])
    invite = record_invite(dev)
    send_invite_email(invite.id)
    db.session.refresh(invite)
    assert invite.failed_at is not None
    assert invite.failure_reason.startswith("550 5.1.1")
    assert portal_status(dev).state == "not_delivered"
    page = as_user(practice.carlos).get(f"/clients/{dev.id}").get_data(as_text=True)
    assert "Invite not delivered" in page
    assert "Recipient address rejected: User unknown" in page
    assert db.session.scalar(select(OutboxEmail.status)) == "refused"
    run_sweeps()  # a refusal is final: the sweep does not try again
    assert smtp_server.messages == []


def test_it_retries_a_temporary_failure(smtp_server, practice, app):
    client = make_client(practice.workspace, "Bea", "Busy", "busy-bea@example.net")
    invite = record_invite(client)
    send_invite_email(invite.id)
    db.session.refresh(invite)
    assert invite.sent_at is None and invite.failed_at is None
    assert invite.failure_reason.startswith("451")
    assert portal_status(client).state == "sending"
    client.email = invite.email = "bea@example.net"  # the mailbox recovers
    db.session.commit()
    clock.advance(timedelta(minutes=1))
    run_sweeps()
    assert len(smtp_server.to("bea@example.net")) == 1


def test_it_delivers_what_was_recorded_before_a_restart_exactly_once(smtp_server, practice, app, make_app):
    invite = record_invite(practice.aisha)  # the job was queued in memory, then the process stopped
    app.extensions["porch.queue"]._heap.clear()
    fresh = make_app()
    with fresh.app_context():
        run_sweeps()
        run_sweeps()
    assert len(smtp_server.to("aisha@example.com")) == 1
    db.session.refresh(invite)
    assert invite.sent_at is not None


def test_it_runs_jobs_on_the_embedded_thread(smtp_server, practice, make_app):
    app = make_app()
    runner = app.extensions["porch.queue"]
    runner.start()
    try:
        with app.app_context():
            client = make_client(practice.workspace, "Tom", "Thread", "tom@example.com")
            record_invite(client)
        deadline = time.monotonic() + 15
        while not smtp_server.to("tom@example.com") and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        runner.stop()
    assert len(smtp_server.to("tom@example.com")) == 1


def test_it_invites_new_clients_automatically_when_the_workflow_is_on(smtp_server, practice, app, as_user):
    practice.workspace.automate_portal_invites = True
    db.session.commit()
    response = as_user(practice.carlos).post("/clients/new", {
        "first_name": "Noor", "last_name": "Haddad", "email": "noor@example.com", "time_zone": "UTC",
        "care_team": [str(practice.carlos.id)], "request_key": str(uuid.uuid4())})
    assert response.status_code == 303
    run_jobs(app)
    assert len(smtp_server.to("noor@example.com")) == 1


def test_it_does_not_invite_automatically_when_the_workflow_is_off(smtp_server, practice, app, as_user):
    as_user(practice.carlos).post("/clients/new", {
        "first_name": "Noor", "last_name": "Haddad", "email": "noor@example.com", "time_zone": "UTC",
        "request_key": str(uuid.uuid4())})
    run_jobs(app)
    assert smtp_server.messages == []


def test_it_keeps_the_body_in_the_outbox_only_without_smtp(practice, app):
    record_invite(practice.aisha)
    run_jobs(app)
    email = db.session.scalar(select(OutboxEmail))
    assert email.status == "sent"
    assert "/invite/" in email.body_text


def test_it_keeps_no_body_in_the_outbox_when_smtp_delivers(smtp_server, practice, app):
    record_invite(practice.aisha)
    run_jobs(app)
    assert db.session.scalar(select(OutboxEmail.body_text)) is None


def test_a_real_rq_worker_sends_the_invite_once(redis_url, smtp_server, practice, make_app, tmp_path):
    app = make_app()
    with app.app_context():
        client = make_client(practice.workspace, "Rae", "Queue", "rae@example.com")
        record_invite(client)
        invite_id = client.id
    from redis import Redis
    from rq import Queue

    assert Queue("default", connection=Redis.from_url(redis_url)).count == 1
    run_rq_worker(redis_url)
    assert len(smtp_server.to("rae@example.com")) == 1
    with app.app_context():
        assert db.session.scalar(select(PortalInvite.sent_at).where(PortalInvite.client_id == invite_id))


def test_the_rq_cron_config_runs_the_sweeps_every_minute():
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=None)
    scheduler.load_config_from_file("jobs.cron")
    [cron_job] = scheduler.get_jobs()
    assert cron_job.func_name.endswith("run_sweeps")
    assert cron_job.interval == 60
