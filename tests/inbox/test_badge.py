"""The staff unread badge kept as rows: after every change that moves it (a client's message, a reading, a care
team, who a conversation is addressed to, writing in one, a role, a new colleague, a close, a mode) each staff
member's count is what the communication rules say, worked out here the slow way from policy.py, and reading it
is one query however many conversations there are."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.auth.models import User
from app.clients.service import update_client
from app.db import db
from app.inbox.models import Conversation, StaffReading, StaffUnread
from app.inbox.policy import ALL_CLIENTS, ASSIGNED_ONLY, NEVER_INITIATE, REPLY_ONLY, may_see_conversation
from app.inbox.queries import inbox, took_part, unread_count_for_staff
from app.inbox.service import (
    change_mode,
    close_by_hand,
    close_quiet_batch,
    mark_read,
    post_message,
    start_conversation,
)
from app.team.invites import accept_staff_invite, add_staff_with_password, hand_out_staff_invite, staff_invite_for
from app.team.service import add_to_roster, change_role, deactivate, reactivate, remove_from_roster
from tests.conftest import PASSWORD, counting_queries, make_client, make_portal_account
from tests.inbox.conftest import key, write
from tests.inbox.test_scale import conversations_from_clients, more_conversations_of


def unread_by_the_rules(staff) -> set[int]:
    """The conversations `staff` has unread, from the policy and the readings, one conversation at a time."""
    db.session.expire_all()
    readings = {reading.conversation_id: reading.last_read_at for reading in
                db.session.scalars(select(StaffReading).where(StaffReading.user_id == staff.id))}
    unread = set()
    for conversation in db.session.scalars(select(Conversation).where(
            Conversation.workspace_id == staff.workspace_id)):
        written = conversation.last_client_message_at
        read = readings.get(conversation.id)
        if (written is not None and (read is None or written > read)
                and may_see_conversation(staff, conversation, took_part(staff, conversation))):
            unread.add(conversation.id)
    return unread


def staff_of(practice) -> list:
    return [practice.owner, practice.admin, practice.carlos, practice.priya]


def assert_badges_follow_the_rules(practice, *more) -> dict[str, int]:
    """Each staff member's badge and unread rows are what the rules say; their counts, by first name."""
    counts = {}
    for staff in [*staff_of(practice), *more]:
        expected = unread_by_the_rules(staff)
        rows = set(db.session.scalars(select(StaffUnread.conversation_id).where(StaffUnread.user_id == staff.id)))
        assert rows == expected, staff.email
        assert unread_count_for_staff(staff) == len(expected), staff.email
        counts[staff.email.split("@")[0]] = len(expected)
    return counts


@pytest.fixture
def replied(practice, chat, aisha_account):
    """Carlos wrote to Aisha, and she replied."""
    write(chat, aisha_account, "Going well, thanks")
    return chat


def test_it_counts_a_client_message_for_the_owner_admin_and_care_team_only(practice, replied):
    assert assert_badges_follow_the_rules(practice) == {"owner": 1, "admin": 1, "carlos": 1, "priya": 0}


def test_it_takes_a_conversation_off_the_badge_of_the_one_who_read_it(practice, replied, aisha_account):
    mark_read(practice.admin, replied)
    db.session.commit()
    assert assert_badges_follow_the_rules(practice) == {"owner": 1, "admin": 0, "carlos": 1, "priya": 0}
    write(replied, aisha_account, "One more thing")
    assert assert_badges_follow_the_rules(practice) == {"owner": 1, "admin": 1, "carlos": 1, "priya": 0}


def test_a_staff_reply_reads_it_for_the_one_who_wrote_and_no_one_else(practice, replied):
    write(replied, practice.carlos, "Glad to hear it")
    assert assert_badges_follow_the_rules(practice) == {"owner": 1, "admin": 1, "carlos": 0, "priya": 0}


def test_a_practitioner_who_wrote_in_it_sees_the_next_client_message(practice, replied, aisha_account):
    write(replied, practice.priya, "Covering for Carlos today")
    assert assert_badges_follow_the_rules(practice)["priya"] == 0
    write(replied, aisha_account, "Thanks, Priya")
    assert assert_badges_follow_the_rules(practice)["priya"] == 1


def test_it_follows_care_team_changes_on_the_roster_and_the_client_record(practice, aisha_account):
    front_desk = start_conversation(practice.admin, [practice.aisha], "Your invoice is ready", key())
    db.session.commit()
    write(front_desk, aisha_account, "Thank you")
    add_to_roster(practice.priya, practice.aisha)
    db.session.commit()
    assert assert_badges_follow_the_rules(practice)["priya"] == 1
    remove_from_roster(practice.priya, practice.aisha)
    db.session.commit()
    assert assert_badges_follow_the_rules(practice)["priya"] == 0
    aisha = practice.aisha
    update_client(aisha, first_name=aisha.first_name, last_name=aisha.last_name, email=aisha.email, phone=None,
                  date_of_birth=None, time_zone=aisha.time_zone, care_team_ids=[practice.priya.id])
    db.session.commit()
    assert assert_badges_follow_the_rules(practice) == {"owner": 1, "admin": 1, "carlos": 0, "priya": 1}


def test_a_conversation_addressed_to_a_practitioner_counts_for_them_without_the_care_team(practice, aisha_account):
    practice.workspace.communication_mode = ALL_CLIENTS
    db.session.commit()
    start_conversation(aisha_account, [practice.aisha], "A question for Priya", key(), staff=practice.priya)
    db.session.commit()
    assert assert_badges_follow_the_rules(practice) == {"owner": 1, "admin": 1, "carlos": 1, "priya": 1}


def test_a_conversation_a_client_starts_with_their_assigned_staff_counts_for_them(practice, aisha_account):
    practice.workspace.communication_mode = ASSIGNED_ONLY
    db.session.commit()
    start_conversation(aisha_account, [practice.aisha], "Hello Carlos", key(), staff=practice.carlos)
    db.session.commit()
    assert assert_badges_follow_the_rules(practice) == {"owner": 1, "admin": 1, "carlos": 1, "priya": 0}


def test_it_follows_a_role_change_both_ways(practice, replied):
    change_role(practice.priya, "admin")
    db.session.commit()
    assert assert_badges_follow_the_rules(practice)["priya"] == 1
    change_role(practice.priya, "practitioner")
    db.session.commit()
    assert assert_badges_follow_the_rules(practice)["priya"] == 0
    change_role(practice.carlos, "owner")  # he could see it already: still one
    db.session.commit()
    assert assert_badges_follow_the_rules(practice)["carlos"] == 1


def test_a_new_admin_sees_what_is_unread_already_and_a_new_practitioner_nothing(practice, replied):
    dana = add_staff_with_password(practice.workspace, email="dana@brunswick.example", name="Dana Lee",
                                   role="admin", password=PASSWORD)
    db.session.commit()
    token = hand_out_staff_invite(practice.workspace, email="eli@brunswick.example", name="Eli", role="practitioner")
    db.session.commit()
    eli = accept_staff_invite(staff_invite_for(token), PASSWORD)
    db.session.commit()
    assert assert_badges_follow_the_rules(practice, dana, eli) == {
        "owner": 1, "admin": 1, "carlos": 1, "priya": 0, "dana": 1, "eli": 0}


def test_closing_and_reopening_leave_what_is_unread_alone(practice, replied, aisha_account):
    close_by_hand(replied, practice.admin)
    db.session.commit()
    assert assert_badges_follow_the_rules(practice) == {"owner": 1, "admin": 1, "carlos": 1, "priya": 0}
    write(replied, practice.owner, "Opening this again")
    assert assert_badges_follow_the_rules(practice) == {"owner": 0, "admin": 1, "carlos": 1, "priya": 0}


def test_the_quiet_close_leaves_what_is_unread_alone(practice, replied):
    change_mode(practice.workspace, REPLY_ONLY, None)
    replied.closes_at = clock.now() - timedelta(minutes=1)
    db.session.commit()
    assert close_quiet_batch() == [replied.id]
    assert assert_badges_follow_the_rules(practice) == {"owner": 1, "admin": 1, "carlos": 1, "priya": 0}


@pytest.mark.parametrize("mode", [REPLY_ONLY, NEVER_INITIATE, ASSIGNED_ONLY, ALL_CLIENTS])
def test_the_badges_follow_the_rules_in_each_mode(practice, chat, aisha_account, mode):
    change_mode(practice.workspace, mode, None)
    db.session.commit()
    write(chat, aisha_account, "Hello")
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.priya])
    group = start_conversation(practice.admin, [practice.aisha, ben], "Group session on Thursday", key(),
                               title="Thursday group")
    db.session.commit()
    write(group, make_portal_account(ben), "I'll be there")
    assert assert_badges_follow_the_rules(practice) == {"owner": 2, "admin": 2, "carlos": 2, "priya": 1}


def test_a_deactivated_colleague_gets_their_badge_back_when_reactivated(practice, replied):
    deactivate(practice.carlos)
    db.session.commit()
    reactivate(practice.carlos)
    db.session.commit()
    assert assert_badges_follow_the_rules(practice)["carlos"] == 1


def test_the_inbox_rows_say_new_where_the_badge_counts(practice, replied, as_user):
    mark_read(practice.owner, replied)
    db.session.commit()
    assert [unread for _, unread in inbox(practice.carlos).items] == [True]
    assert [unread for _, unread in inbox(practice.owner).items] == [False]


def badge_and_message_queries(practice, aisha_account, conversation) -> tuple[int, int, int]:
    """Statements run by the badge, a client's message and a staff member reading it."""
    db.session.expire_all()
    db.session.refresh(practice.carlos)
    with counting_queries() as badge:
        unread_count_for_staff(practice.carlos)
    with counting_queries() as message:
        write(conversation, aisha_account, "Still here")
    with counting_queries() as reading:
        mark_read(practice.carlos, conversation)
        db.session.commit()
    return len(badge), len(message), len(reading)


def test_the_badge_a_message_and_a_reading_cost_the_same_queries_for_5_or_200_conversations(practice, chat,
                                                                                            aisha_account):
    conversations_from_clients(practice, 5)
    few = badge_and_message_queries(practice, aisha_account, chat)
    ben = db.session.scalar(select(User).where(User.email == "ben@example.com"))
    more_conversations_of(practice, ben.client, ben, 195)
    many = badge_and_message_queries(practice, aisha_account, chat)
    assert few == many and few[0] == 1
    assert unread_count_for_staff(practice.carlos) == 200


def test_a_reading_made_while_a_client_message_is_being_saved_is_counted_after_it(app, practice, chat,
                                                                                  aisha_account):
    """The message is written but not committed when Carlos opens the conversation: his reading waits for it and
    covers it, and no unread row is left behind that the rules don't give."""
    conversation_id = chat.id
    saved, failures = threading.Event(), []

    def client_writes() -> None:
        with app.app_context():
            try:
                post_message(db.session.get(Conversation, conversation_id), db.session.get(User, aisha_account.id),
                             "Sent just as Carlos looked", key())
                db.session.flush()
                saved.set()
                time.sleep(0.5)  # Carlos opens the conversation meanwhile
                db.session.commit()
            except Exception as error:  # noqa: BLE001
                failures.append(error)
                db.session.rollback()

    def carlos_reads() -> None:
        with app.app_context():
            try:
                saved.wait(timeout=10)
                mark_read(db.session.get(User, practice.carlos.id), db.session.get(Conversation, conversation_id))
                db.session.commit()
            except Exception as error:  # noqa: BLE001
                failures.append(error)
                db.session.rollback()

    both = [threading.Thread(target=client_writes), threading.Thread(target=carlos_reads)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join(timeout=30)
    assert failures == []
    assert assert_badges_follow_the_rules(practice) == {"owner": 1, "admin": 1, "carlos": 0, "priya": 0}
