from types import SimpleNamespace

import pytest

from app.appointments.policy import may_answer_request, may_see_requests_of, may_set_hours_of, may_set_up_booking


def person(role: str | None, user_id: int = 1, workspace_id: int = 1, client: bool = False):
    return SimpleNamespace(id=user_id, role=role, workspace_id=workspace_id, is_staff=not client,
                           client_id=9 if client else None)


OWNER, ADMIN = person("owner", 1), person("admin", 2)
CARLOS, PRIYA = person("practitioner", 3), person("practitioner", 4)
AISHA = person(None, 5, client=True)
ELSEWHERE = person("owner", 6, workspace_id=2)


@pytest.mark.parametrize("user, allowed", [(OWNER, True), (ADMIN, True), (CARLOS, False), (AISHA, False)])
def test_it_lets_only_practice_admins_set_up_booking(user, allowed):
    assert may_set_up_booking(user) is allowed


@pytest.mark.parametrize("user, practitioner, allowed", [
    (CARLOS, CARLOS, True), (PRIYA, CARLOS, False), (ADMIN, CARLOS, True), (OWNER, PRIYA, True),
    (ELSEWHERE, CARLOS, False), (AISHA, CARLOS, False), (ADMIN, AISHA, False)])
def test_it_lets_a_practitioner_or_an_admin_set_hours(user, practitioner, allowed):
    assert may_set_hours_of(user, practitioner) is allowed


@pytest.mark.parametrize("user, practitioner, allowed", [
    (CARLOS, CARLOS, True), (CARLOS, None, False), (PRIYA, CARLOS, False), (ADMIN, None, True),
    (OWNER, CARLOS, True), (AISHA, None, False)])
def test_it_shows_requests_to_their_practitioner_and_admins(user, practitioner, allowed):
    assert may_see_requests_of(user, practitioner) is allowed


def request_of(practitioner, status: str = "requested", cancelled: bool = False):
    return SimpleNamespace(practitioner=practitioner, status=status, cancelled_at=object() if cancelled else None)


@pytest.mark.parametrize("user, appointment, allowed", [
    (CARLOS, request_of(CARLOS), True), (ADMIN, request_of(CARLOS), True), (PRIYA, request_of(CARLOS), False),
    (CARLOS, request_of(CARLOS, "booked"), False), (CARLOS, request_of(CARLOS, "declined"), False),
    (ADMIN, request_of(CARLOS, cancelled=True), False), (AISHA, request_of(CARLOS), False)])
def test_it_lets_the_practitioner_or_an_admin_answer_a_waiting_request(user, appointment, allowed):
    assert may_answer_request(user, appointment) is allowed
