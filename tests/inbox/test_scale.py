"""The inbox at a practice's size: the badge and the list cost the same number of queries however many
conversations there are, and the badge reads the last client message time kept on each conversation."""

from datetime import timedelta

from app import clock
from app.db import db
from app.inbox.models import Conversation, ConversationClient, Message
from app.inbox.queries import unread_count_for_staff
from app.inbox.service import mark_read
from tests.conftest import counting_queries, make_client, make_portal_account
from tests.inbox.conftest import write


def conversations_from_clients(practice, how_many: int) -> None:
    """`how_many` conversations, each with one unread message from a client on Carlos's roster."""
    client = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    account = make_portal_account(client)
    now = clock.now()
    for n in range(how_many):
        sent = now - timedelta(minutes=n + 1)
        conversation = Conversation(workspace_id=practice.workspace.id, created_at=sent, last_message_at=sent,
                                    last_client_message_at=sent, staff_user_id=practice.carlos.id)
        db.session.add(conversation)
        db.session.flush()
        db.session.add(ConversationClient(conversation_id=conversation.id, client_id=client.id))
        db.session.add(Message(workspace_id=practice.workspace.id, conversation_id=conversation.id,
                               sender_id=account.id, body="hello", created_at=sent))
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
