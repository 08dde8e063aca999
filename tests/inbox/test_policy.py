"""The communication-mode table of PRODUCT.md, cell by cell, for owner, admin, practitioners and client."""

import pytest

from app import clock
from app.db import db
from app.inbox.models import Conversation, ConversationClient
from app.inbox.policy import (
    ALL_CLIENTS,
    ASSIGNED_ONLY,
    NEVER_INITIATE,
    REPLY_ONLY,
    closes_when_quiet,
    may_close,
    may_message_client,
    may_reply,
    may_see_conversation,
    may_start_conversation,
    staff_a_client_may_write_to,
)
from tests.conftest import make_client, make_portal_account

MODES = [REPLY_ONLY, NEVER_INITIATE, ASSIGNED_ONLY, ALL_CLIENTS]

# mode: (client may start, client may reply while open, owner/admin/assigned/unassigned may message, auto-close)
TABLE = {
    REPLY_ONLY: (False, True, {"owner": True, "admin": True, "carlos": True, "priya": True}, True),
    NEVER_INITIATE: (False, True, {"owner": True, "admin": True, "carlos": True, "priya": True}, False),
    ASSIGNED_ONLY: (True, True, {"owner": True, "admin": True, "carlos": True, "priya": False}, False),
    ALL_CLIENTS: (True, True, {"owner": True, "admin": True, "carlos": True, "priya": True}, False),
}


@pytest.fixture
def world(practice):
    aisha = make_portal_account(practice.aisha)
    chat = Conversation(workspace_id=practice.workspace.id, created_at=clock.now(),
                        members=[ConversationClient(client_id=practice.aisha.id)])
    db.session.add(chat)
    db.session.commit()
    return practice, aisha, chat


def set_mode(practice, mode):
    practice.workspace.communication_mode = mode
    db.session.commit()


@pytest.mark.parametrize("mode", MODES)
def test_it_lets_a_client_start_a_conversation_only_where_the_mode_allows(world, mode):
    practice, aisha, _ = world
    set_mode(practice, mode)
    assert may_start_conversation(aisha) is TABLE[mode][0]


@pytest.mark.parametrize("mode", MODES)
def test_it_offers_the_client_only_the_staff_the_mode_allows(world, mode):
    practice, aisha, _ = world
    set_mode(practice, mode)
    staff = [practice.owner, practice.admin, practice.carlos, practice.priya]
    offered = {u.name for u in staff_a_client_may_write_to(aisha, staff)}
    expected = {REPLY_ONLY: set(), NEVER_INITIATE: set(), ASSIGNED_ONLY: {"Carlos Diaz"},
                ALL_CLIENTS: {u.name for u in staff}}[mode]
    assert offered == expected


@pytest.mark.parametrize("mode", MODES)
def test_it_lets_a_client_reply_while_the_conversation_is_open_and_never_once_closed(world, mode):
    practice, aisha, chat = world
    set_mode(practice, mode)
    assert may_reply(aisha, chat) is TABLE[mode][1]
    chat.closed_at = clock.now()
    assert may_reply(aisha, chat) is False


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("who", ["owner", "admin", "carlos", "priya"])
def test_it_decides_which_staff_may_message_the_client(world, mode, who):
    practice, _, chat = world
    set_mode(practice, mode)
    staff = getattr(practice, who)
    assert may_message_client(staff, practice.aisha) is TABLE[mode][2][who]
    assert may_reply(staff, chat, took_part=True) is TABLE[mode][2][who]


@pytest.mark.parametrize("mode", MODES)
def test_it_closes_quiet_conversations_only_in_reply_only_mode(mode):
    assert closes_when_quiet(mode) is TABLE[mode][3]


@pytest.mark.parametrize("who, sees", [("owner", True), ("admin", True), ("carlos", True), ("priya", False)])
def test_it_shows_a_conversation_to_owners_admins_and_the_care_team(world, who, sees):
    practice, _, chat = world
    staff = getattr(practice, who)
    assert may_see_conversation(staff, chat) is sees
    assert may_close(staff, chat) is sees


def test_it_shows_a_conversation_to_a_practitioner_who_wrote_in_it_or_was_addressed(world):
    practice, _, chat = world
    assert may_see_conversation(practice.priya, chat, took_part=True)
    chat.staff_user_id = practice.priya.id
    assert may_see_conversation(practice.priya, chat)


def test_it_shows_a_client_only_their_own_conversations(world):
    practice, aisha, chat = world
    ben = make_portal_account(make_client(practice.workspace, "Ben", "Okafor", "ben@example.com"))
    assert may_see_conversation(aisha, chat)
    assert not may_see_conversation(ben, chat)
    assert not may_reply(ben, chat)


def test_it_never_crosses_workspaces(world, outsider):
    practice, _, chat = world
    assert not may_see_conversation(outsider.owner, chat)
    assert not may_message_client(outsider.owner, practice.aisha)


def test_it_never_lets_a_client_close_a_conversation(world):
    _, aisha, chat = world
    assert not may_close(aisha, chat)
