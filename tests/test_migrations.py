import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from app import create_app
from app.crypto import decrypt
from app.db import db
from tests.conftest import POSTGRES_URL, TEST_KEYS


def test_the_migrations_build_exactly_the_models_schema(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


# --- 0007: group names, appointment locations and the contact note encrypted at rest -------------

@pytest.fixture
def blank_database(migrated_database, tmp_path):
    """An empty database of this test's own on the same backend, to migrate step by step."""
    backend, _ = migrated_database
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    name = f"porch_test_{uuid.uuid4().hex[:12]}"
    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    with server.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    server.dispose()


PLAIN = {"title": "Tuesday alcohol recovery group", "location": "Eating disorders clinic, room 4",
         "client_contact_note": "Crisis line: call 555 0100"}
NOW = "2026-12-01 09:00:00"


def rows_before_0007() -> None:
    """One practice as the schema before 0007 stored it: these three values in the clear."""
    for statement, values in [
        ("INSERT INTO workspaces (id, name, time_zone, currency, brand_colour, white_label, automate_portal_invites, "
         "communication_mode, client_contact_note, created_at) VALUES (1, 'Brunswick Practice', 'UTC', 'USD', "
         "'#1f5f8b', false, false, 'reply_only', :client_contact_note, :now)", PLAIN),
        ("INSERT INTO users (id, workspace_id, email, name, password_hash, role, created_at) "
         "VALUES (1, 1, 'carlos@brunswick.example', 'Carlos Diaz', 'x', 'practitioner', :now)", {}),
        ("INSERT INTO clients (id, workspace_id, first_name, last_name, time_zone, created_at) "
         "VALUES (1, 1, 'Aisha', 'Rahman', 'UTC', :now)", {}),
        ("INSERT INTO conversations (id, workspace_id, title, is_group, created_at) "
         "VALUES (1, 1, :title, true, :now)", PLAIN),
        ("INSERT INTO conversations (id, workspace_id, title, is_group, created_at) "
         "VALUES (2, 1, NULL, false, :now)", {}),
        ("INSERT INTO appointments (id, workspace_id, client_id, practitioner_id, starts_at, duration_minutes, kind, "
         "location, created_at) VALUES (1, 1, 1, 1, :now, 50, 'in_person', :location, :now)", PLAIN),
    ]:
        db.session.execute(text(statement), {**values, "now": NOW})
    db.session.commit()


def raw_values() -> dict[str, str | None]:
    return {
        "title": db.session.execute(text("SELECT title FROM conversations WHERE id = 1")).scalar_one(),
        "location": db.session.execute(text("SELECT location FROM appointments WHERE id = 1")).scalar_one(),
        "client_contact_note": db.session.execute(
            text("SELECT client_contact_note FROM workspaces WHERE id = 1")).scalar_one(),
    }


def test_it_encrypts_the_plaintext_already_stored_and_decrypts_it_on_the_way_back(blank_database):
    from flask_migrate import downgrade, upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": blank_database, "SECRET_KEY": "migrate",
                      "PORCH_ENCRYPTION_KEYS": TEST_KEYS})
    with app.app_context():
        upgrade(revision="0004")
        rows_before_0007()
        upgrade(revision="0007")
        stored = raw_values()
        assert all(plain not in stored[name] for name, plain in PLAIN.items()), stored
        assert {name: decrypt(token) for name, token in stored.items()} == PLAIN
        assert db.session.execute(text("SELECT title FROM conversations WHERE id = 2")).scalar_one() is None
        db.session.commit()  # let go of the tables: the downgrade alters them

        downgrade(revision="-1")
        assert raw_values() == PLAIN
        db.session.remove()
        db.engine.dispose()


# --- 0013: the audit trail's hash chain ---------------------------------------------------------

def test_it_chains_the_audit_rows_already_stored(blank_database):
    from flask_migrate import downgrade, upgrade

    from app.audit.chain import verify
    from app.audit.trail import record

    app = create_app({"SQLALCHEMY_DATABASE_URI": blank_database, "SECRET_KEY": "migrate",
                      "PORCH_ENCRYPTION_KEYS": TEST_KEYS})
    with app.app_context():
        upgrade(revision="0007")
        rows_before_0007()
        for number, action in enumerate(("login", "client.viewed", "form_response.viewed")):
            db.session.execute(text(
                "INSERT INTO audit_events (workspace_id, actor_user_id, action, client_id, ip_address, at) "
                "VALUES (1, 1, :action, 1, '127.0.0.1', :at)"), {"action": action, "at": f"2026-12-01 09:00:0{number}"})
        db.session.commit()
        upgrade(revision="0013")
        assert verify().checked == 3 and verify().holds
        record("client.viewed", workspace_id=1, client_id=1, actor_user_id=1)
        db.session.commit()
        assert verify().checked == 4 and verify().holds
        db.session.commit()

        downgrade(revision="0007")
        assert db.session.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 4
        db.session.remove()
        db.engine.dispose()


# --- 0029: the staff unread badge kept as rows ----------------------------------------------------

def test_it_counts_the_unread_conversations_already_stored_for_each_staff_member(blank_database):
    from flask_migrate import upgrade

    from app.inbox.unread import recount_unread

    app = create_app({"SQLALCHEMY_DATABASE_URI": blank_database, "SECRET_KEY": "migrate",
                      "PORCH_ENCRYPTION_KEYS": TEST_KEYS})
    with app.app_context():
        upgrade(revision="0026")
        rows_before_0007()  # workspace 1, Carlos (user 1), Aisha (client 1), conversations 1 and 2
        later = "2026-12-01 10:00:00"
        for statement in [
            "INSERT INTO users (id, workspace_id, email, name, password_hash, role, created_at) VALUES "
            "(2, 1, 'owner@brunswick.example', 'Maya', 'x', 'owner', :now), "
            "(3, 1, 'priya@brunswick.example', 'Priya', 'x', 'practitioner', :now), "
            "(4, 1, 'dana@brunswick.example', 'Dana', 'x', 'practitioner', :now)",
            "INSERT INTO users (id, workspace_id, email, name, password_hash, client_id, created_at) "
            "VALUES (5, 1, 'aisha@example.com', 'Aisha', 'x', 1, :now)",
            "INSERT INTO clients (id, workspace_id, first_name, last_name, time_zone, created_at) "
            "VALUES (2, 1, 'Ben', 'Okafor', 'UTC', :now)",
            "INSERT INTO care_team (client_id, user_id) VALUES (1, 1)",
            "INSERT INTO conversations (id, workspace_id, is_group, staff_user_id, created_at) "
            "VALUES (3, 1, false, 4, :now), (4, 1, false, NULL, :now)",
            "INSERT INTO conversation_clients (conversation_id, client_id) VALUES (1, 1), (2, 2), (3, 2), (4, 1)",
            "INSERT INTO messages (workspace_id, conversation_id, sender_id, body, created_at) "
            "VALUES (1, 2, 3, 'x', :now)",
            "UPDATE conversations SET last_client_message_at = :now WHERE id IN (1, 2, 3)",
            "INSERT INTO staff_readings (conversation_id, user_id, last_read_at) VALUES (1, 2, :later), (2, 3, :now)",
        ]:
            db.session.execute(text(statement), {"now": NOW, "later": later})
        db.session.commit()
        upgrade(revision="0029")
        rows = "SELECT user_id, conversation_id FROM staff_unread ORDER BY user_id, conversation_id"
        counts = "SELECT user_id, conversations FROM staff_unread_counts ORDER BY user_id"
        # Carlos: his client's; the owner: all but the one read; Priya read hers; Dana: the one addressed to her
        assert [tuple(row) for row in db.session.execute(text(rows))] == [(1, 1), (2, 2), (2, 3), (4, 3)]
        assert [tuple(row) for row in db.session.execute(text(counts))] == [(1, 1), (2, 2), (4, 1)]
        recount_unread(1)
        assert [tuple(row) for row in db.session.execute(text(rows))] == [(1, 1), (2, 2), (2, 3), (4, 3)]
        assert [tuple(row) for row in db.session.execute(text(counts))] == [(1, 1), (2, 2), (4, 1)]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
