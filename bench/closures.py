"""The 48-hour quiet-close sweep at scale: N due conversations (default 100,000) closed by one worker.

Run from the repository root on PostgreSQL (a database of its own, created and dropped here):
    .venv/bin/python bench/closures.py [N] [postgresql+psycopg://postgres@127.0.0.1:5432]
Prints the time to close them all, closures/s, and that each was closed exactly once.
"""

import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))


def main(count: int, server_url: str) -> None:
    from flask_migrate import upgrade

    from app import clock, create_app
    from app.clients.models import Client
    from app.db import db
    from app.demo import load_demo_practice
    from app.inbox.models import Conversation, ConversationClient
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
            client_id = db.session.scalars(select(Client.id).where(Client.workspace_id == workspace.id)).first()
            db.session.commit()
            now = clock.now()
            for start in range(0, count, 10_000):
                rows = [{"workspace_id": workspace.id, "is_group": False, "created_at": now - timedelta(hours=49),
                         "last_message_at": now - timedelta(hours=49), "closes_at": now - timedelta(hours=1)}
                        for _ in range(min(10_000, count - start))]
                ids = db.session.scalars(insert(Conversation).returning(Conversation.id), rows).all()
                db.session.execute(insert(ConversationClient),
                                   [{"conversation_id": i, "client_id": client_id} for i in ids])
            db.session.commit()
            began = time.perf_counter()
            closed = 0
            while batch := close_quiet_batch():
                closed += len(batch)
            took = time.perf_counter() - began
            quiet = db.session.scalar(select(func.count()).where(Conversation.closed_reason == "quiet"))
            print(f"| due | closed | closed (counted) | seconds | closures/s |\n|---|---|---|---|---|\n"
                  f"| {count:,} | {closed:,} | {quiet:,} | {took:.1f} | {closed / took:,.0f} |")
            db.session.remove()
            db.engine.dispose()
    finally:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
         sys.argv[2] if len(sys.argv) > 2 else "postgresql+psycopg://postgres@127.0.0.1:5432")
