"""The log's "Action" choices (actions_in): each action the practice's log holds, once, in the order SELECT DISTINCT
gives, and never another practice's."""

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.reading import actions_in
from app.audit.trail import record
from app.db import db
from tests.conftest import make_workspace

# Neighbours in every collation's order: prefixes, capitals, punctuation, digits.
BRUNSWICK = ["login", "login.failed", "client.viewed", "Client.viewed", "client_viewed", "a", "z.9", "z.10"]
ELSEWHERE = ["login", "staff.invited", "b.only.elsewhere"]


def distinct_actions(workspace_id: int) -> list[str]:
    """What the choices were read with before: every row of the workspace's log."""
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.workspace_id == workspace_id)
                                   .distinct().order_by(AuditEvent.action)))


def test_it_lists_each_action_once_in_the_order_select_distinct_gives(practice, outsider):
    for n in range(40):
        record(BRUNSWICK[n % len(BRUNSWICK)], workspace_id=practice.workspace.id, actor_user_id=practice.owner.id)
        record(ELSEWHERE[n % len(ELSEWHERE)], workspace_id=outsider.workspace.id, actor_user_id=outsider.owner.id)
    record("system.started", workspace_id=None)
    db.session.commit()
    for workspace, actions in ((practice.workspace, BRUNSWICK), (outsider.workspace, ELSEWHERE)):
        listed = actions_in(workspace.id)
        assert listed == distinct_actions(workspace.id)
        assert sorted(listed) == sorted(actions)


def test_it_lists_nothing_for_a_practice_with_an_empty_log(practice):
    record("login", workspace_id=practice.workspace.id, actor_user_id=practice.owner.id)
    db.session.commit()
    assert actions_in(make_workspace("Quiet Clinic").id) == []


def test_it_lists_the_one_action_of_a_log_that_has_one(practice):
    record("login", workspace_id=practice.workspace.id, actor_user_id=practice.owner.id)
    db.session.commit()
    assert actions_in(practice.workspace.id) == ["login"]
