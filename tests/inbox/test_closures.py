"""Reply only: a conversation closes 48 h after a staff message with no client reply, even unvisited, exactly once."""

from datetime import timedelta

from sqlalchemy import func, select

from app import clock
from app.db import db
from app.inbox.models import Conversation
from app.inbox.policy import NEVER_INITIATE, REPLY_ONLY
from app.inbox.service import change_mode, close_by_hand, close_if_quiet
from jobs.sweeps import run_sweeps
from tests.conftest import run_jobs, run_rq_worker
from tests.inbox.conftest import write

HOURS_48 = timedelta(hours=48)


def state(conversation):
    db.session.expire_all()
    return db.session.get(Conversation, conversation.id)


def test_it_closes_48_hours_after_the_staff_message_without_anyone_visiting(practice, chat, app):
    clock.freeze(chat.last_message_at + HOURS_48 - timedelta(seconds=1))
    run_jobs(app)
    assert state(chat).closed_at is None
    clock.freeze(chat.last_message_at + HOURS_48)
    run_jobs(app)
    closed = state(chat)
    assert closed.closed_at == chat.last_message_at + HOURS_48
    assert closed.closed_reason == "quiet"


def test_it_closes_exactly_once(practice, chat, app):
    clock.freeze(chat.last_message_at + HOURS_48 + timedelta(minutes=1))
    assert close_if_quiet(chat.id) is True
    first = state(chat).closed_at
    clock.advance(timedelta(hours=1))
    assert close_if_quiet(chat.id) is False
    run_sweeps()
    assert state(chat).closed_at == first


def test_it_stays_open_when_the_client_replied(practice, chat, aisha_account, app):
    clock.freeze(chat.last_message_at + timedelta(hours=3))
    write(chat, aisha_account, "All good!")
    clock.advance(HOURS_48)
    run_jobs(app)
    run_sweeps()
    assert state(chat).closed_at is None


def test_it_stays_open_when_the_mode_changed(practice, chat, app):
    change_mode(practice.workspace, NEVER_INITIATE, None)
    db.session.commit()
    clock.freeze(chat.last_message_at + HOURS_48 + timedelta(minutes=1))
    run_jobs(app)
    run_sweeps()
    assert state(chat).closed_at is None


def test_it_does_not_close_again_what_staff_closed_and_reopened(practice, chat, app):
    start = chat.last_message_at
    clock.freeze(start + timedelta(hours=10))
    close_by_hand(chat, practice.carlos)
    db.session.commit()
    clock.advance(timedelta(hours=1))
    write(chat, practice.carlos, "Reopening: one more thing.")  # reopens; its own 48 h start now
    clock.freeze(start + HOURS_48 + timedelta(minutes=1))
    run_jobs(app)  # the first message's job runs and finds nothing due
    reopened = state(chat)
    assert reopened.closed_at is None
    assert reopened.closes_at == start + timedelta(hours=11) + HOURS_48


def test_a_sweep_closes_what_a_lost_job_would_have(practice, chat, app):
    app.extensions["porch.queue"]._heap.clear()  # the scheduled job was lost (restart, Redis outage)
    clock.freeze(chat.last_message_at + HOURS_48 + timedelta(minutes=5))
    run_sweeps()
    assert state(chat).closed_reason == "quiet"


def test_it_tells_both_sides_it_closed(practice, chat, aisha_account, app, as_user):
    clock.freeze(chat.last_message_at + HOURS_48)
    run_jobs(app)
    client_page = as_user(aisha_account).get(f"/portal/messages/{chat.id}").get_data(as_text=True)
    assert "48 hours after Brunswick Practice" in client_page
    assert "You can&#39;t reply here any more." in client_page or "You can't reply here any more." in client_page
    staff_page = as_user(practice.carlos).get(f"/inbox/{chat.id}").get_data(as_text=True)
    assert "48 hours passed after the practice" in staff_page
    assert "Closed" in as_user(practice.carlos).get("/inbox?status=closed").get_data(as_text=True)


def test_a_real_rq_worker_with_the_scheduler_closes_it(redis_url, practice, make_app, aisha_account):
    app = make_app()
    with app.app_context():
        from app.inbox.service import start_conversation
        from tests.inbox.conftest import key

        workspace_mode = db.session.get(type(practice.workspace), practice.workspace.id).communication_mode
        assert workspace_mode == REPLY_ONLY
        clock.freeze(clock.now() - HOURS_48 - timedelta(seconds=2))  # the staff message was sent 48 h ago
        carlos = db.session.get(type(practice.carlos), practice.carlos.id)
        aisha = db.session.get(type(practice.aisha), practice.aisha.id)
        conversation = start_conversation(carlos, [aisha], "Checking in.", key())
        db.session.commit()
        conversation_id = conversation.id
        clock.unfreeze()
    from redis import Redis
    from rq import Queue

    assert Queue("default", connection=Redis.from_url(redis_url)).scheduled_job_registry.count >= 1
    run_rq_worker(redis_url)
    with app.app_context():
        closed = db.session.get(Conversation, conversation_id)
        assert closed.closed_reason == "quiet"
        assert db.session.scalar(select(func.count(Conversation.id)).where(Conversation.closed_at.is_not(None))) == 1
