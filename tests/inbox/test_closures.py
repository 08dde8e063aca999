"""Reply only: a conversation closes 48 h after a staff message with no client reply, even unvisited, exactly once."""

from datetime import timedelta

from sqlalchemy import func, select

from app import clock
from app.db import db
from app.inbox.models import Conversation
from app.inbox.policy import NEVER_INITIATE, REPLY_ONLY
from app.inbox.service import change_mode, close_by_hand, close_if_quiet
from jobs.sweeps import run_sweeps
from tests.conftest import counting_queries, run_jobs, run_rq_worker
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


def due_conversations(practice, how_many: int, written: bool = False) -> list[int]:
    """`how_many` Reply-only conversations with Aisha whose 48 quiet hours ended a minute ago (`written`: Carlos
    wrote the first message, Aisha replied and read it, and the owner read it too)."""
    from app.inbox.models import ConversationClient, Message, StaffReading
    from app.inbox.unread import recount_unread

    now = clock.now()
    ids = []
    for _ in range(how_many):
        conversation = Conversation(workspace_id=practice.workspace.id, created_at=now - HOURS_48,
                                    last_message_at=now - HOURS_48, closes_at=now - timedelta(minutes=1),
                                    staff_user_id=practice.carlos.id)
        db.session.add(conversation)
        db.session.flush()
        db.session.add(ConversationClient(conversation_id=conversation.id, client_id=practice.aisha.id,
                                          last_read_at=now - HOURS_48 if written else None))
        if written:
            account = practice.aisha.account
            for sender, minutes in ((practice.carlos, 0), (account, 1)):
                db.session.add(Message(workspace_id=practice.workspace.id, conversation_id=conversation.id,
                                       sender_id=sender.id, body="Checking in.",
                                       created_at=now - HOURS_48 - timedelta(minutes=2 - minutes)))
            conversation.last_client_message_at = now - HOURS_48 - timedelta(minutes=1)
            db.session.add(StaffReading(conversation_id=conversation.id, user_id=practice.owner.id, last_read_at=now))
        ids.append(conversation.id)
    recount_unread(practice.workspace.id)  # rows written directly: the badges are counted as a bulk load does
    db.session.commit()
    return ids


class Pushes(list):
    """What the hub was handed: (channel, html), from any thread."""

    def __init__(self, app, monkeypatch):
        super().__init__()
        monkeypatch.setattr(app.extensions["porch.hub"], "send_all", self.extend)

    def to(self, channel: str) -> list[str]:
        return [html for sent_to, html in self if sent_to == channel]


def test_the_sweep_closes_due_conversations_in_batches_each_once(practice, app):
    from app.inbox.service import close_quiet_batch

    practice.workspace.communication_mode = REPLY_ONLY
    ids = due_conversations(practice, 12)
    assert sorted(close_quiet_batch(limit=5)) == ids[:5]
    run_sweeps()
    closed = db.session.scalars(select(Conversation).where(Conversation.id.in_(ids))).all()
    assert {c.closed_reason for c in closed} == {"quiet"}
    assert close_quiet_batch() == []


def test_it_closes_a_batch_in_the_same_number_of_queries_however_large(practice, aisha_account, app):
    from app.inbox.service import close_quiet_batch

    practice.workspace.communication_mode = REPLY_ONLY
    queries = []
    for how_many in (2, 40):
        ids = due_conversations(practice, how_many, written=True)
        with counting_queries() as statements:
            assert sorted(close_quiet_batch()) == ids
        queries.append(len(statements))
    assert queries[0] == queries[1] <= 12


def test_it_pushes_each_close_to_everyone_who_may_see_it_and_each_list_once(practice, aisha_account, app,
                                                                              monkeypatch):
    from app.inbox.service import close_quiet_batch

    practice.workspace.communication_mode = REPLY_ONLY
    ids = due_conversations(practice, 3, written=True)
    pushes = Pushes(app, monkeypatch)
    close_quiet_batch()
    for conversation_id in ids:
        to_aisha = pushes.to(f"user:{aisha_account.id}:conversation-{conversation_id}")
        assert len(to_aisha) == 1
        assert f'id="conversation-status-{conversation_id}"' in to_aisha[0]
        assert f'id="reply-area-{conversation_id}"' in to_aisha[0]
        assert "48 hours after Brunswick Practice" in to_aisha[0]
        for staff in (practice.owner, practice.admin, practice.carlos):
            to_staff = pushes.to(f"user:{staff.id}:conversation-{conversation_id}")
            assert len(to_staff) == 1 and "48 hours passed after the practice" in to_staff[0]
        assert pushes.to(f"user:{practice.priya.id}:conversation-{conversation_id}") == []  # not her client
    owners_list, = pushes.to(f"user:{practice.owner.id}:inbox")
    carlos_list, = pushes.to(f"user:{practice.carlos.id}:inbox")
    aishas_list, = pushes.to(f"user:{aisha_account.id}:messages")
    assert all(owners_list.count(f'id="conversation-{i}"') == 1 for i in ids)
    assert owners_list.count("New") == 0 and carlos_list.count("New") == 3  # the owner read them, Carlos did not
    assert aishas_list.count("Closed") == 3 and aishas_list.count("New") == 0
    assert [channel for channel, _ in pushes if channel.endswith((":badges", ":home"))] == []


def test_two_workers_sweeping_at_once_close_each_conversation_exactly_once(practice, aisha_account, app,
                                                                           monkeypatch):
    import threading

    from app.inbox.service import close_quiet_batch

    practice.workspace.communication_mode = REPLY_ONLY
    ids = due_conversations(practice, 60)
    pushes = Pushes(app, monkeypatch)
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
    told = [channel for channel, _ in pushes if channel.startswith(f"user:{aisha_account.id}:conversation-")]
    assert sorted(told) == sorted(f"user:{aisha_account.id}:conversation-{i}" for i in ids)  # each told once
