"""The 48-hour quiet-close sweep at scale: N due conversations (default 100,000) closed by one worker.

Run from the repository root on PostgreSQL (a database of its own, created and dropped here):
    .venv/bin/python bench/closures.py [N] [postgresql+psycopg://postgres@127.0.0.1:5432]
Each conversation has the practitioner's message, the client (with a portal account) and the practitioner in
it, so that each close is pushed to three people. Prints the time to close them all, closures/s, the queries
each batch ran, and whether each was closed exactly once (rows counted) and its client told exactly once.
"""

import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import column, create_engine, event, func, insert, select, table, text

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))


def main(count: int, server_url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.models import User
    from app.db import db
    from app.demo import load_demo_practice
    from app.inbox.models import Conversation
    from app.inbox.policy import REPLY_ONLY
    from app.inbox.service import close_quiet_batch
    from app.tenancy import Workspace

    name = f"porch_bench_{uuid.uuid4().hex[:8]}"
    server = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        for variable in ("REDIS_URL", "SMTP_URL", "PORCH_ENV", "SECRET_KEY", "PORCH_ENCRYPTION_KEYS"):
            os.environ.pop(variable, None)
        os.environ.update({"DATABASE_URL": f"{server_url}/{name}", "PORCH_RUN_JOBS": "0",
                           "PORCH_INSTANCE_PATH": tempfile.mkdtemp(prefix="porch-bench-")})
        app = create_app()
        with app.app_context():
            upgrade()
            load_demo_practice()
            workspace = db.session.scalars(select(Workspace)).first()
            workspace.communication_mode = REPLY_ONLY
            client = db.session.scalars(select(User).where(User.workspace_id == workspace.id,
                                                           User.client_id.is_not(None))).first()
            carlos = db.session.scalars(select(User).where(User.email == "carlos@brunswick.example")).one()
            db.session.commit()
            began = time.perf_counter()
            due_conversations(count, workspace.id, client.client_id, carlos.id)
            print(f"{count:,} due conversations, each with a message, made in {time.perf_counter() - began:.1f} s")
            pushes = told_client(app, client.id)
            statements = counting_statements()
            began = time.perf_counter()
            closed, per_batch = 0, []
            while True:
                statements.clear()
                batch = close_quiet_batch()
                if not batch:
                    break
                closed += len(batch)
                per_batch.append(len(statements))
            took = time.perf_counter() - began
            counted = db.session.scalar(select(func.count()).where(Conversation.closed_reason == "quiet"))
            once = counted == closed == count and len(pushes) == len(set(pushes)) == count
            print("| due | closed | closed (counted) | seconds | closures/s | queries per batch | each once |\n"
                  "|---|---|---|---|---|---|---|\n"
                  f"| {count:,} | {closed:,} | {counted:,} | {took:.1f} | {closed / took:,.0f} "
                  f"| {min(per_batch)}–{max(per_batch)} | {'yes' if once else 'NO'} |")
            db.session.remove()
            db.engine.dispose()
    finally:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def due_conversations(count: int, workspace_id: int, client_id: int, staff_id: int) -> None:
    """`count` conversations whose 48 quiet hours are over, each with the practitioner's message (encrypted once)."""
    from app import clock
    from app.db import EncryptedText, db
    from app.inbox.models import Conversation, ConversationClient, Message

    now = clock.now()
    sent = now - timedelta(hours=49)
    body = EncryptedText().process_bind_param("Checking in: how are the exercises going?", db.engine.dialect)
    messages = table("messages", *(column(name) for name in
                                   ("workspace_id", "conversation_id", "sender_id", "body", "created_at")))
    for start in range(0, count, 10_000):
        rows = [{"workspace_id": workspace_id, "is_group": False, "created_at": sent, "last_message_at": sent,
                 "closes_at": now - timedelta(hours=1), "staff_user_id": staff_id}
                for _ in range(min(10_000, count - start))]
        ids = db.session.scalars(insert(Conversation).returning(Conversation.id), rows).all()
        db.session.execute(insert(ConversationClient), [{"conversation_id": i, "client_id": client_id} for i in ids])
        db.session.execute(insert(messages), [{"workspace_id": workspace_id, "conversation_id": i,
                                               "sender_id": staff_id, "body": body, "created_at": sent} for i in ids])
    db.session.commit()
    assert db.session.scalar(select(Message.body).where(Message.conversation_id == ids[-1])).startswith("Checking")


def told_client(app, client_user_id: int) -> list[str]:
    """The client's conversation channels each push went to (the hub is in-process here: nobody listens)."""
    told: list[str] = []
    hub = app.extensions["porch.hub"]
    send = hub.send

    def recording(channel: str, html: str) -> None:
        if channel.startswith(f"user:{client_user_id}:conversation-"):
            told.append(channel)
        send(channel, html)

    hub.send = recording
    return told


def counting_statements() -> list[str]:
    from app.db import db

    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
         sys.argv[2] if len(sys.argv) > 2 else "postgresql+psycopg://postgres@127.0.0.1:5432")
