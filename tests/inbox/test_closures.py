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


def due_conversations(practice, how_many: int) -> list[int]:
    """`how_many` Reply-only conversations with Aisha whose 48 quiet hours ended a minute ago."""
    from app.inbox.models import ConversationClient

    now = clock.now()
    ids = []
    for _ in range(how_many):
        conversation = Conversation(workspace_id=practice.workspace.id, created_at=now - HOURS_48,
                                    last_message_at=now - HOURS_48, closes_at=now - timedelta(minutes=1),
                                    staff_user_id=practice.carlos.id)
        db.session.add(conversation)
        db.session.flush()
        db.session.add(ConversationClient(conversation_id=conversation.id, client_id=practice.aisha.id))
        ids.append(conversation.id)
    db.session.commit()
    return ids


def test_the_sweep_closes_due_conversations_in_batches_each_once(practice, app):
    from app.inbox.service import close_quiet_batch

    practice.workspace.communication_mode = REPLY_ONLY
    ids = due_conversations(practice, 12)
    assert sorted(close_quiet_batch(limit=5)) == ids[:5]
    run_sweeps()
    closed = db.session.scalars(select(Conversation).where(Conversation.id.in_(ids))).all()
    assert {c.closed_reason for c in closed} == {"quiet"}
    assert close_quiet_batch() == []


def test_two_workers_sweeping_at_once_close_each_conversation_exactly_once(practice, app):
    import threading

    from app.inbox.service import close_quiet_batch

    practice.workspace.communication_mode = REPLY_ONLY
    ids = due_conversations(practice, 60)
    frozen = clock.now()
    closed_by: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def worker(n: int) -> None:
        with app.app_context():
            clock.freeze(frozen)
            start.wait()
            while batch := close_quiet_batch(limit=7):
                closed_by[n].extend(batch)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    everything = closed_by[0] + closed_by[1]
    assert sorted(everything) == ids  # all closed, none twice
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Conversation.id.in_(ids),
                                                        Conversation.closed_at.is_not(None))) == 60
