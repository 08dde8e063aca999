"""Who may change the team, as a table: (actor, the colleague acted on, what) -> allowed."""

import pytest

from app.auth.models import User
from app.team.policy import may_change_role, may_deactivate, may_invite, may_manage_team, may_reactivate


def person(user_id: int, role: str | None, workspace_id: int = 1, active: bool = True, client: bool = False) -> User:
    from datetime import UTC, datetime

    return User(id=user_id, workspace_id=workspace_id, role=role, client_id=7 if client else None,
                disabled_at=None if active else datetime(2026, 1, 1, tzinfo=UTC))


OWNER, OTHER_OWNER = person(1, "owner"), person(2, "owner")
ADMIN, OTHER_ADMIN = person(3, "admin"), person(4, "admin")
PRACTITIONER, OTHER_PRACTITIONER = person(5, "practitioner"), person(6, "practitioner")
GONE_PRACTITIONER, GONE_OWNER = person(7, "practitioner", active=False), person(8, "owner", active=False)
CLIENT = person(9, None, client=True)
ELSEWHERE_PRACTITIONER = person(10, "practitioner", workspace_id=2)


@pytest.mark.parametrize("actor, allowed", [(OWNER, True), (ADMIN, True), (PRACTITIONER, False), (CLIENT, False)])
def test_it_lets_only_owners_and_admins_manage_the_team(actor, allowed):
    assert may_manage_team(actor) is allowed


@pytest.mark.parametrize("actor, role, allowed", [
    (OWNER, "owner", True), (OWNER, "admin", True), (OWNER, "practitioner", True),
    (ADMIN, "owner", False), (ADMIN, "admin", True), (ADMIN, "practitioner", True),
    (PRACTITIONER, "practitioner", False), (CLIENT, "practitioner", False), (OWNER, "boss", False),
])
def test_it_decides_who_may_invite_with_which_role(actor, role, allowed):
    assert may_invite(actor, role) is allowed


@pytest.mark.parametrize("actor, member, role, allowed", [
    (OWNER, PRACTITIONER, "admin", True),
    (OWNER, PRACTITIONER, "owner", True),
    (OWNER, OTHER_OWNER, "admin", True),
    (OWNER, OWNER, "admin", True),  # the last-owner rule (in the service) may still refuse it
    (ADMIN, PRACTITIONER, "admin", True),
    (ADMIN, OTHER_ADMIN, "practitioner", True),
    (ADMIN, ADMIN, "practitioner", True),
    (ADMIN, PRACTITIONER, "owner", False),  # admins don't make owners
    (ADMIN, OWNER, "admin", False),  # ... nor change an owner's role
    (ADMIN, ADMIN, "owner", False),
    (PRACTITIONER, PRACTITIONER, "admin", False),  # nobody changes their own role without team rights
    (PRACTITIONER, PRACTITIONER, "practitioner", False),
    (PRACTITIONER, OTHER_PRACTITIONER, "admin", False),
    (OWNER, CLIENT, "practitioner", False),
    (OWNER, ELSEWHERE_PRACTITIONER, "admin", False),
])
def test_it_decides_who_may_change_a_role(actor, member, role, allowed):
    assert may_change_role(actor, member, role) is allowed


@pytest.mark.parametrize("actor, member, allowed", [
    (OWNER, PRACTITIONER, True), (OWNER, ADMIN, True), (OWNER, OTHER_OWNER, True),
    (OWNER, OWNER, False),  # not oneself
    (ADMIN, PRACTITIONER, True), (ADMIN, OTHER_ADMIN, True), (ADMIN, OWNER, False), (ADMIN, ADMIN, False),
    (PRACTITIONER, OTHER_PRACTITIONER, False), (OWNER, GONE_PRACTITIONER, False), (OWNER, CLIENT, False),
    (OWNER, ELSEWHERE_PRACTITIONER, False),
])
def test_it_decides_who_may_deactivate_whom(actor, member, allowed):
    assert may_deactivate(actor, member) is allowed


@pytest.mark.parametrize("actor, member, allowed", [
    (OWNER, GONE_PRACTITIONER, True), (ADMIN, GONE_PRACTITIONER, True), (OWNER, GONE_OWNER, True),
    (ADMIN, GONE_OWNER, False), (PRACTITIONER, GONE_PRACTITIONER, False), (OWNER, PRACTITIONER, False),
])
def test_it_decides_who_may_reactivate_whom(actor, member, allowed):
    assert may_reactivate(actor, member) is allowed
