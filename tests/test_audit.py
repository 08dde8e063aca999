import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from app.audit.trail import record
from app.db import db


def test_it_refuses_to_change_an_audit_row_through_the_orm(practice):
    event = record("client.viewed", workspace_id=practice.workspace.id, client_id=practice.aisha.id)
    db.session.commit()
    event.action = "nothing.happened"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_it_refuses_to_change_or_delete_an_audit_row_in_sql(practice):
    record("client.viewed", workspace_id=practice.workspace.id, client_id=practice.aisha.id)
    db.session.commit()
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
