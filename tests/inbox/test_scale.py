"""The inbox at a practice's size: the badge and the list cost the same number of queries however many
conversations there are (the badge reads one count row; tests/inbox/test_badge.py checks that it is right)."""

import re
from datetime import timedelta
from html import unescape

from sqlalchemy import select, update

from app import clock
from app.auth.models import User
from app.db import db
from app.inbox.models import Conversation, ConversationClient, Message
from app.inbox.queries import inbox, unread_count_for_staff
from app.inbox.service import mark_read
from app.inbox.unread import recount_unread
from tests.conftest import counting_queries, make_client, make_portal_account
from tests.inbox.conftest import write


def conversations_from_clients(practice, how_many: int) -> None:
    """`how_many` conversations, each with one unread message from a client on Carlos's roster."""
    client = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    more_conversations_of(practice, client, make_portal_account(client), how_many)


def more_conversations_of(practice, client, account, how_many: int) -> None:
    now = clock.now() - timedelta(days=1)
    for n in range(how_many):
        sent = now - timedelta(minutes=n + 1)
        conversation = Conversation(workspace_id=practice.workspace.id, created_at=sent, last_message_at=sent,
                                    last_client_message_at=sent, staff_user_id=practice.carlos.id)
        db.session.add(conversation)
        db.session.flush()
        db.session.add(ConversationClient(conversation_id=conversation.id, client_id=client.id))
        db.session.add(Message(workspace_id=practice.workspace.id, conversation_id=conversation.id,
                               sender_id=account.id, body="hello", created_at=sent))
    recount_unread(practice.workspace.id)  # rows written directly: the badges are counted as a bulk load does
    db.session.commit()


def test_a_client_message_makes_the_conversation_unread_for_the_staff_who_see_it(practice, chat, aisha_account):
    assert unread_count_for_staff(practice.carlos) == 0  # Carlos wrote it: nothing from a client yet
    write(chat, aisha_account, "Going well, thanks")
    assert chat.last_client_message_at == chat.last_message_at
    assert unread_count_for_staff(practice.carlos) == 1
    assert unread_count_for_staff(practice.priya) == 0  # not on Aisha's care team, never wrote
    assert unread_count_for_staff(practice.owner) == 1
    mark_read(practice.carlos, chat)
    db.session.commit()
    assert unread_count_for_staff(practice.carlos) == 0
    assert unread_count_for_staff(practice.owner) == 1
    write(chat, practice.carlos, "Glad to hear it")  # a staff reply is not unread for anyone's badge
    assert unread_count_for_staff(practice.owner) == 1
    assert chat.last_client_message_at < chat.last_message_at


def unread_conversations_of_one_client(practice, how_many: int) -> None:
    """Many conversations of Carlos's client Cai, each with a client message no one has read, made in bulk."""
    client = make_client(practice.workspace, "Cai", "Ng", "cai@example.com", care_team=[practice.carlos])
    now = clock.now()
    for n in range(how_many):
        conversation = Conversation(workspace_id=practice.workspace.id, created_at=now, last_message_at=now,
                                    last_client_message_at=now - timedelta(seconds=n))
        db.session.add(conversation)
        db.session.flush()
        db.session.add(ConversationClient(conversation_id=conversation.id, client_id=client.id))
    recount_unread(practice.workspace.id)
    db.session.commit()


def test_the_badge_is_one_query_for_5_or_300_conversations(practice):
    conversations_from_clients(practice, 5)
    db.session.refresh(practice.carlos)
    with counting_queries() as few:
        assert unread_count_for_staff(practice.carlos) == 5
    unread_conversations_of_one_client(practice, 295)
    db.session.refresh(practice.carlos)
    with counting_queries() as many:
        assert unread_count_for_staff(practice.carlos) == 300
    assert len(few) == len(many) == 1


def inbox_queries(practice, as_user) -> int:
    carlos = as_user(practice.carlos)
    with counting_queries() as statements:
        page = carlos.get("/inbox")
    assert page.status_code == 200
    return len(statements)


def test_the_inbox_runs_the_same_number_of_queries_for_5_or_150_conversations(practice, as_user):
    conversations_from_clients(practice, 5)
    few = inbox_queries(practice, as_user)
    db.session.expunge_all()
    unread_conversations_of_one_client(practice, 145)
    assert inbox_queries(practice, as_user) == few


def _conversation_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li id="conversation-(\d+)"', html)]


def _next_link(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)"[^>]*rel="next"', html)
    return unescape(found.group(1)) if found else None


def test_the_inbox_pages_by_latest_activity_keeping_the_filter_without_javascript(practice, as_user):
    conversations_from_clients(practice, 120)
    carlos = as_user(practice.carlos)
    seen, url = [], "/inbox?status=all&q=okafor"
    while url:
        html = carlos.get(url).get_data(as_text=True)
        ids = _conversation_ids(html)
        assert len(ids) <= 50
        seen += ids
        url = _next_link(html)
        assert url is None or ("status=all" in url and "q=okafor" in url)
    newest_first = db.session.scalars(select(Conversation.id).order_by(Conversation.last_message_at.desc())).all()
    assert seen == newest_first and len(seen) == 120


def test_an_htmx_request_for_the_next_inbox_page_gets_the_list_alone(practice, as_user):
    conversations_from_clients(practice, 60)
    carlos = as_user(practice.carlos)
    first = carlos.get("/inbox").get_data(as_text=True)
    rest = carlos.get(_next_link(first), htmx=True).get_data(as_text=True)
    assert rest.lstrip().startswith('<div id="conversation-page"') and "<h1>" not in rest
    assert len(_conversation_ids(rest)) == 10 and not set(_conversation_ids(rest)) & set(_conversation_ids(first))
    assert 'hx-target="#conversation-page"' in first


def test_the_portal_messages_list_pages_with_the_same_queries_for_5_or_120_conversations(practice, as_user):
    conversations_from_clients(practice, 5)
    ben = db.session.scalar(select(User).where(User.email == "ben@example.com"))
    client = as_user(ben)
    with counting_queries() as few:
        assert len(_conversation_ids(client.get("/portal/messages").get_data(as_text=True))) == 5
    more_conversations_of(practice, ben.client, ben, 115)
    with counting_queries() as many:
        html = client.get("/portal/messages").get_data(as_text=True)
    assert len(_conversation_ids(html)) == 50 and len(many) == len(few)
    assert len(_conversation_ids(client.get(_next_link(html)).get_data(as_text=True))) == 50


def long_conversation(practice, chat, aisha_account, how_many: int) -> list[int]:
    """`how_many` more messages in `chat`, alternating between Aisha and Carlos, one a minute; all ids, oldest first."""
    start = clock.now() - timedelta(days=2)
    for n in range(how_many):
        db.session.add(Message(workspace_id=practice.workspace.id, conversation_id=chat.id,
                               sender_id=(aisha_account if n % 2 else practice.carlos).id, body=f"message {n}",
                               created_at=start + timedelta(minutes=n)))
    db.session.commit()
    return db.session.scalars(select(Message.id).where(Message.conversation_id == chat.id)
                              .order_by(Message.created_at, Message.id)).all()


def _message_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="message[^"]*" id="message-(\d+)"', html)]


def _older_link(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)"[^>]*>Older messages</a>', html)
    return unescape(found.group(1)) if found else None


def test_a_conversation_shows_its_newest_50_messages_and_older_ones_without_javascript(practice, chat, aisha_account,
                                                                                        as_user):
    ids = long_conversation(practice, chat, aisha_account, 119)
    carlos = as_user(practice.carlos)
    html = carlos.get(f"/inbox/{chat.id}").get_data(as_text=True)
    assert _message_ids(html) == ids[-50:]
    older = carlos.get(_older_link(html)).get_data(as_text=True)
    assert "<h1>" in older and _message_ids(older) == ids[-100:-50] and "Newer messages" in older
    oldest = carlos.get(_older_link(older)).get_data(as_text=True)
    assert _message_ids(oldest) == ids[:20] and _older_link(oldest) is None


def test_htmx_loads_older_messages_in_place_above_the_others(practice, chat, aisha_account, as_user):
    ids = long_conversation(practice, chat, aisha_account, 69)
    client = as_user(aisha_account)
    html = client.get(f"/portal/messages/{chat.id}").get_data(as_text=True)
    assert _message_ids(html) == ids[-50:]
    assert f'hx-target="#older-{chat.id}" hx-swap="outerHTML"' in html
    assert html.index(f'id="older-{chat.id}"') < html.index(f'id="messages-{chat.id}"')
    older = client.get(_older_link(html), htmx=True).get_data(as_text=True)
    assert older.lstrip().startswith(f'<div id="older-{chat.id}"') and "<h1>" not in older
    assert _message_ids(older) == ids[:20] and _older_link(older) is None


def conversation_queries(as_user, user, url) -> list[int]:
    """Statements of two visits: the first marks the conversation read, the second has nothing new to mark."""
    viewer = as_user(user)
    counts = []
    for _ in range(2):
        with counting_queries() as statements:
            assert viewer.get(url).status_code == 200
        counts.append(len(statements))
    return counts


def unread_again(chat) -> None:
    db.session.execute(update(ConversationClient).where(ConversationClient.conversation_id == chat.id)
                       .values(last_read_at=None))
    db.session.commit()


def test_a_conversation_page_runs_the_same_queries_for_5_or_120_messages(practice, chat, aisha_account, as_user):
    long_conversation(practice, chat, aisha_account, 4)
    staff_few = conversation_queries(as_user, practice.carlos, f"/inbox/{chat.id}")
    client_few = conversation_queries(as_user, aisha_account, f"/portal/messages/{chat.id}")
    assert client_few[1] < client_few[0]  # a client who has read everything writes nothing
    long_conversation(practice, chat, aisha_account, 115)
    unread_again(chat)
    assert conversation_queries(as_user, practice.carlos, f"/inbox/{chat.id}") == staff_few
    assert conversation_queries(as_user, aisha_account, f"/portal/messages/{chat.id}") == client_few


def test_it_counts_and_lists_a_conversation_for_a_practitioner_who_only_wrote_in_it(practice, chat, aisha_account):
    write(chat, practice.priya, "Covering for Carlos today")  # Priya: not addressed, not on Aisha's care team
    write(chat, aisha_account, "Thanks, Priya")
    assert unread_count_for_staff(practice.priya) == 1
    assert [conversation.id for conversation, _ in inbox(practice.priya).items] == [chat.id]


def test_it_counts_the_unread_badge_once_on_a_conversation_page_that_marks_it_read(practice, chat, aisha_account,
                                                                                     as_user):
    """Reading commits before the page is drawn: the count the live badges were given after that write is kept
    past the commit for the page's own badge, not asked again."""
    long_conversation(practice, chat, aisha_account, 4)
    carlos = as_user(practice.carlos)
    with counting_queries() as statements:
        assert carlos.get(f"/inbox/{chat.id}").status_code == 200
    badge_counts = [s for s in statements
                    if s.lstrip().upper().startswith("SELECT") and "FROM staff_unread_counts" in s]
    assert len(badge_counts) == 1, badge_counts
