"""The e-mail about a shared document: sent by a job at most once, redone by the sweep if a job is lost."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import clock
from app.db import db
from app.documents.models import Document, DocumentNotice
from app.documents.service import share_document
from jobs.documents import send_document_notice
from jobs.sweeps import run_sweeps
from tests.conftest import run_jobs


def share_note(practice, key="k1") -> Document:
    document = share_document(practice.aisha, practice.carlos, title="Lab result: ferritin", kind="lab_result",
                              request_key=key, note="Ferritin 12 µg/L, low.")
    db.session.commit()
    return document


def test_it_sends_one_email_when_the_job_runs_twice(smtp_server, practice, aisha_online, app):
    document = share_note(practice)
    send_document_notice(document.notice.id)
    send_document_notice(document.notice.id)
    run_jobs(app)
    assert len(smtp_server.to("aisha@example.com")) == 1
    db.session.refresh(document.notice)
    assert document.notice.sent_at is not None


def test_it_sends_a_notice_whose_job_was_lost_at_the_next_sweep(smtp_server, practice, aisha_online, app):
    share_note(practice)
    app.extensions["porch.queue"]._heap.clear()  # the queued job is lost (a worker died, Redis was flushed)
    run_sweeps()
    [message] = smtp_server.to("aisha@example.com")
    assert "Ferritin" not in message.get_body(("plain",)).get_content()
    run_sweeps()
    assert len(smtp_server.to("aisha@example.com")) == 1


def test_it_tells_nobody_when_the_client_has_no_portal_account(smtp_server, practice, app):
    document = share_note(practice)
    run_jobs(app)
    run_sweeps()
    assert smtp_server.messages == []
    assert document.notice is None


def test_it_sends_nothing_for_a_document_unshared_before_the_job_ran(smtp_server, practice, aisha_online, app,
                                                                   as_user):
    document = share_note(practice)
    as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/documents/{document.id}/unshare")
    run_jobs(app)
    run_sweeps()
    assert smtp_server.to("aisha@example.com") == []


def test_it_records_the_refused_address_and_stops(smtp_server, practice, aisha_online, app):
    aisha_online.account.email = "refused-aisha@example.com"
    db.session.commit()
    document = share_note(practice)
    run_jobs(app)
    run_sweeps()
    db.session.refresh(document.notice)
    assert document.notice.failed_at is not None and document.notice.sent_at is None
    assert document.notice.failure_reason.startswith("550")
    assert db.session.scalar(select(DocumentNotice.attempts)) == 1


def test_it_sends_the_notice_once_after_the_server_deferred_it_for_ten_minutes(smtp_server, practice, aisha_online,
                                                                               app):
    start = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    clock.freeze(start)
    smtp_server.deferring_until = start + timedelta(minutes=10)
    document = share_note(practice)
    run_jobs(app)
    for _ in range(40):
        clock.advance(timedelta(minutes=1))
        run_sweeps()
    assert len(smtp_server.to("aisha@example.com")) == 1
    db.session.refresh(document.notice)
    assert document.notice.attempts == 5 and document.notice.sent_at == start + timedelta(minutes=18)
