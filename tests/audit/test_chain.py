import threading

from sqlalchemy import create_engine, func, select, text

from app.audit.chain import GENESIS, verify
from app.audit.models import AuditEvent
from app.audit.trail import record
from app.db import db


def verify_audit(app):
    return app.test_cli_runner().invoke(args=["porch", "verify-audit"])


def three_rows(practice):
    for action in ("client.viewed", "form_response.viewed", "document.opened"):
        record(action, workspace_id=practice.workspace.id, client_id=practice.aisha.id,
               actor_user_id=practice.carlos.id)
        db.session.commit()


def tamper(app, statement: str, **values) -> None:
    """Change the table as someone with database access would: around the append-only trigger (put back after)."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            guards = connection.execute(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                             "AND tbl_name = 'audit_events'")).scalars().all()
            connection.execute(text("DROP TRIGGER audit_events_no_UPDATE"))
            connection.execute(text("DROP TRIGGER audit_events_no_DELETE"))
            connection.execute(text(statement), values)
            for guard in guards:
                connection.execute(text(guard))
        else:
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            connection.execute(text(statement), values)
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
    engine.dispose()


def test_it_chains_each_row_to_the_one_before(app, practice):
    three_rows(practice)
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert rows[0].previous_hash == GENESIS
    assert [r.previous_hash for r in rows[1:]] == [r.row_hash for r in rows[:-1]]
    result = verify_audit(app)
    assert result.exit_code == 0, result.output
    assert "intact: 3 rows" in result.output


def test_it_names_the_row_edited_behind_the_apps_back(app, practice):
    three_rows(practice)
    second = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[1]
    tamper(app, "UPDATE audit_events SET actor_user_id = :other WHERE id = :id", other=practice.priya.id, id=second)
    result = verify_audit(app)
    assert result.exit_code != 0
    assert f"broken at row {second}: its fields do not match its hash" in result.output


def test_it_names_the_row_after_one_deleted_behind_the_apps_back(app, practice):
    three_rows(practice)
    ids = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    tamper(app, "DELETE FROM audit_events WHERE id = :id", id=ids[1])
    result = verify_audit(app)
    assert result.exit_code != 0
    assert f"broken at row {ids[2]}: it does not follow the row before it" in result.output


def test_it_notices_the_newest_rows_removed(app, practice):
    three_rows(practice)
    ids = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    tamper(app, "DELETE FROM audit_events WHERE id = :id", id=ids[2])
    assert verify().broken_id == ids[1]


def test_it_keeps_one_chain_when_writers_record_at_once(app, practice, make_app):
    workspace_id, client_id = practice.workspace.id, practice.aisha.id
    db.session.commit()
    apps = [make_app() for _ in range(4)]
    barrier, errors = threading.Barrier(len(apps)), []

    def write(other) -> None:
        try:
            with other.app_context():
                barrier.wait(timeout=60)
                for _ in range(5):
                    record("client.viewed", workspace_id=workspace_id, client_id=client_id)
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 (reported below, from the test's own thread)
            errors.append(repr(error))

    threads = [threading.Thread(target=write, args=(other,)) for other in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    db.session.commit()  # end this session's read, so it sees what the writers committed
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 20
    assert verify().holds
