"""Porch at a large practice's size: generate the data set in PostgreSQL, then time the pages that read it.

Run from the repository root:
    .venv/bin/python bench/scale.py [--scale 1.0] [--runs 20] [--server postgresql+psycopg://postgres@127.0.0.1:5432]
    .venv/bin/python bench/scale.py --drop        # drop the bench database
The data lives in a database of its own (porch_bench, or --database), made on the first run and kept for the next
ones:
10,000 clients, 20,000 conversations, 1,000,000 messages, 100,000 appointments and 200,000 audit events at --scale 1,
inserted in bulk through the models' column types (each distinct message body is encrypted once and reused; the
audit rows are hash-chained as the app chains them). Then each
page is fetched --runs times with the Flask test client, signed in as the owner, a practitioner and a client
(cards as htmx asks for them), and a table gives p50 / p95 in milliseconds, the queries each request ran and
the bytes of the page.
"""

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import column, create_engine, event, func, insert, select, table, text, update

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

DATABASE = "porch_bench"
BODIES = ["Checking in: how are the exercises going?", "Thanks, a little better this week.",
          "Could we move Thursday's session to the afternoon?", "Here is the handout we talked about.",
          "I slept better after trying the breathing routine.", "See you next week."]
BIG_CONVERSATION = 500  # messages in the conversation that is timed
AUDIT_PER_CLIENT = 20
# What staff do about a client over a year or so, about as often as they do it (opening the record most of all).
AUDIT_ACTIONS = ["client.viewed"] * 10 + ["appointment.booked", "appointment.changed", "appointment.cancelled",
                                          "client.updated", "form.sent", "invoice.sent", "care_team.changed",
                                          "portal_invite.sent", "login", "login"]
BROWSER = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 "
           "Safari/605.1.15")
CSRF_IN_PAGE = re.compile(r'"X-CSRFToken": "([^"]+)"')


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--scale", type=float, default=1.0)
    arguments.add_argument("--runs", type=int, default=20)
    arguments.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    arguments.add_argument("--drop", action="store_true", help="drop the bench database and stop")
    arguments.add_argument("--database", default=DATABASE, type=_database_name,
                           help="a database of its own, e.g. a copy (CREATE DATABASE … TEMPLATE porch_bench) for a "
                                "branch whose migrations others' runs don't have")
    options = arguments.parse_args()
    database = options.database
    server = create_engine(f"{options.server}/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        if options.drop:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            return
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}):
            connection.execute(text(f"CREATE DATABASE {database}"))
    for variable in ("REDIS_URL", "SMTP_URL", "PORCH_ENV", "SECRET_KEY", "PORCH_ENCRYPTION_KEYS"):
        os.environ.pop(variable, None)
    instance = Path(tempfile.gettempdir()) / "porch-bench-scale"  # the encryption key stays with the data
    instance.mkdir(exist_ok=True)
    os.environ.update({"DATABASE_URL": f"{options.server}/{database}", "PORCH_RUN_JOBS": "0",
                       "PORCH_INSTANCE_PATH": str(instance)})
    from app import create_app

    app = create_app()
    with app.app_context():
        people = generate(options.scale)
        from app.db import db

        engine = db.engine
    measure(app, engine, people, options.runs)  # each request in its own app context, as when served


def _database_name(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise argparse.ArgumentTypeError("lower-case letters, digits and _ only")
    return name


def generate(scale: float) -> dict:
    """Make the data set unless it is there; return who to sign in as and what to open."""
    from flask_migrate import upgrade

    from app import clock
    from app.auth.models import User
    from app.clients.models import Client
    from app.db import db
    from app.demo import load_demo_practice
    from app.inbox.models import ConversationClient, Message
    from app.inbox.unread import recount_unread

    upgrade()
    if load_demo_practice():
        began = time.perf_counter()
        now = clock.now()
        owner, carlos, priya, aisha = (db.session.scalars(select(User).where(User.email == email)).one() for email in
                                       ("owner@brunswick.example", "carlos@brunswick.example",
                                        "priya@brunswick.example", "aisha@example.com"))
        workspace_id, staff = owner.workspace_id, [carlos.id, priya.id]
        clients = [aisha.client_id, *_clients(round(10_000 * scale), workspace_id, staff, now)]
        conversations = _conversations(round(20_000 * scale), workspace_id, clients, staff, now)
        _messages(round(1_000_000 * scale), workspace_id, conversations, aisha.id, staff, now)
        _appointments(round(100_000 * scale), workspace_id, clients, staff, now)
        _audit_events(AUDIT_PER_CLIENT * len(clients), workspace_id, clients, [owner.id, *staff], now)
        recount_unread(workspace_id)  # the badges, as any bulk load must
        db.session.commit()
        # What autovacuum does to a live database sooner or later, done now so the timings don't depend on when it
        # comes: statistics, the visibility map (index-only scans), and the trigram index's pending list merged
        # in (until then every client search reads the list row by row and the planner scans the table instead).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for name in ("clients", "conversations", "conversation_clients", "messages", "appointments", "care_team",
                         "staff_unread", "staff_unread_counts", "audit_events"):
                connection.execute(text(f"VACUUM ANALYZE {name}"))
        print(f"generated in {time.perf_counter() - began:.0f} s")
    counts = {name: db.session.scalar(select(func.count()).select_from(table(name)))
              for name in ("clients", "conversations", "messages", "appointments", "audit_events")}
    print(", ".join(f"{count:,} {name}" for name, count in counts.items()))
    aisha = db.session.scalars(select(User).where(User.email == "aisha@example.com")).one()
    biggest = db.session.scalar(
        select(Message.conversation_id).join(ConversationClient,
                                             ConversationClient.conversation_id == Message.conversation_id)
        .where(ConversationClient.client_id == aisha.client_id)
        .group_by(Message.conversation_id).order_by(func.count().desc()).limit(1))
    return {"client_record": aisha.client_id, "conversation": biggest,
            "client": db.session.get(Client, aisha.client_id).last_name}


def _clients(count: int, workspace_id: int, staff: list[int], now) -> list[int]:
    from app.clients.models import Client, care_team
    from app.db import db

    firsts = ["Ana", "Ben", "Chloe", "Dev", "Ema", "Femi", "Gus", "Hana", "Ivo", "Jia", "Kofi", "Lena"]
    lasts = ["Okafor", "Novak", "Silva", "Tanaka", "Weber", "Haddad", "Kowalski", "Moreau", "Larsen", "Iyer"]
    ids: list[int] = []
    for start in range(0, count, 5_000):
        rows = [{"workspace_id": workspace_id, "first_name": random.choice(firsts),
                 "last_name": f"{random.choice(lasts)}-{n}", "email": f"client{n}@example.org",
                 "time_zone": "America/New_York", "created_at": now} for n in range(start, min(count, start + 5_000))]
        ids += db.session.scalars(insert(Client).returning(Client.id), rows).all()
    db.session.execute(insert(care_team), [{"client_id": i, "user_id": staff[n % 2]} for n, i in enumerate(ids)])
    return ids


def _conversations(count: int, workspace_id: int, clients: list[int], staff: list[int], now) -> list[int]:
    from app.db import db
    from app.inbox.models import Conversation, ConversationClient

    ids: list[int] = []
    for start in range(0, count, 10_000):
        rows = [{"workspace_id": workspace_id, "is_group": False, "staff_user_id": staff[n % 2],
                 "created_at": now - timedelta(days=90), "last_message_at": now - timedelta(minutes=n),
                 "last_client_message_at": now - timedelta(minutes=n + 1)}
                for n in range(start, min(count, start + 10_000))]
        ids += db.session.scalars(insert(Conversation).returning(Conversation.id), rows).all()
    members = [{"conversation_id": i, "client_id": clients[n % len(clients)]} for n, i in enumerate(ids)]
    db.session.execute(insert(ConversationClient), members)
    return ids


def _messages(count: int, workspace_id: int, conversations: list[int], client_user: int, staff: list[int],
              now) -> None:
    """The first conversation (Aisha's) gets BIG_CONVERSATION messages; the rest are spread over the others."""
    from app.db import EncryptedText, db

    encrypted = [EncryptedText().process_bind_param(body, db.engine.dialect) for body in BODIES]
    messages = table("messages", *(column(name) for name in
                                   ("workspace_id", "conversation_id", "sender_id", "body", "created_at")))
    rest = conversations[1:] or conversations
    for start in range(0, count, 20_000):
        rows = []
        for n in range(start, min(count, start + 20_000)):
            conversation = conversations[0] if n < BIG_CONVERSATION else rest[n % len(rest)]
            rows.append({"workspace_id": workspace_id, "conversation_id": conversation,
                         "sender_id": staff[n % 2] if n % 3 else client_user, "body": encrypted[n % len(BODIES)],
                         "created_at": now - timedelta(minutes=count - n)})
        db.session.execute(insert(messages), rows)


def _appointments(count: int, workspace_id: int, clients: list[int], staff: list[int], now) -> None:
    from app.appointments.models import Appointment
    from app.db import db

    for start in range(0, count, 10_000):
        rows = [{"workspace_id": workspace_id, "client_id": clients[n % len(clients)], "practitioner_id": staff[n % 2],
                 "starts_at": now + timedelta(hours=n % 2_000 - 1_000), "duration_minutes": 50,
                 "kind": "telehealth", "created_at": now} for n in range(start, min(count, start + 10_000))]
        db.session.execute(insert(Appointment), rows)


def _audit_events(count: int, workspace_id: int, clients: list[int], staff: list[int], now) -> None:
    """`count` rows over the past year, oldest first, chained from the chain's head as app.audit.trail chains them
    (so that the chain still holds and the next recorded action follows on)."""
    from app.audit.chain import hash_of
    from app.audit.models import AuditChainHead, AuditEvent
    from app.db import db

    previous = db.session.scalar(select(AuditChainHead.last_hash).where(AuditChainHead.id == 1).with_for_update())
    year = timedelta(days=365)
    for start in range(0, count, 10_000):
        rows = []
        for n in range(start, min(count, start + 10_000)):
            action = AUDIT_ACTIONS[n % len(AUDIT_ACTIONS)]
            row = AuditEvent(workspace_id=workspace_id, actor_user_id=staff[n % len(staff)], action=action,
                             client_id=None if action == "login" else clients[n % len(clients)],
                             ip_address=f"203.0.113.{n % 250 + 1}", user_agent=BROWSER,
                             at=now - year + year * n / count)
            row.previous_hash, row.row_hash = previous, hash_of(previous, row)
            previous = row.row_hash
            rows.append({name: getattr(row, name) for name in
                         ("workspace_id", "actor_user_id", "action", "client_id", "ip_address", "user_agent", "at",
                          "previous_hash", "row_hash")})
        db.session.execute(insert(AuditEvent), rows)
    db.session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=previous))


def measure(app, engine, people: dict, runs: int) -> None:
    from app.demo import DEMO_PASSWORD
    from app.portal.views import CARDS

    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    portal = sorted(rule.rule for rule in app.url_map.iter_rules()
                    if rule.rule.startswith("/portal") and "GET" in rule.methods and not rule.arguments
                    and not rule.rule.startswith(("/portal/login", "/portal/logout", "/portal/register")))
    pages = {
        "owner@brunswick.example": ["/clients", f"/clients?q={people['client']}",
                                    f"/clients/{people['client_record']}", "/inbox", "/inbox?q=Okafor",
                                    f"/inbox/{people['conversation']}", "/inbox/compose",
                                    f"/inbox/compose?q={people['client']}", f"/inbox/groups/new?q={people['client']}",
                                    "/settings/audit", "/settings/audit?action=invoice.sent"],
        "carlos@brunswick.example": ["/clients", f"/clients?q={people['client']}",
                                     f"/clients/{people['client_record']}", "/inbox",
                                     f"/inbox/{people['conversation']}", f"/inbox/compose?q={people['client']}",
                                     f"/inbox/groups/new?q={people['client']}"],
        "aisha@example.com": [*portal, f"/portal/messages/{people['conversation']}",
                              *(f"/portal/cards/{name}" for name in CARDS)],
    }
    print("| who | page | p50 ms | p95 ms | queries | bytes | status |\n|---|---|---|---|---|---|---|")
    for email, urls in pages.items():
        visitor = app.test_client()
        token = CSRF_IN_PAGE.search(visitor.get("/login/help").get_data(as_text=True)).group(1)
        signed_in = visitor.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
        assert signed_in.status_code == 303, f"could not sign in as {email}"
        for url in urls:
            timings, status, size, queries = [], None, 0, 0
            for _ in range(runs + 1):  # the first is a warm-up
                statements.clear()
                began = time.perf_counter()
                response = visitor.get(url, headers={"HX-Request": "true"} if "/cards/" in url else {})
                timings.append((time.perf_counter() - began) * 1000)
                status, size, queries = response.status_code, len(response.get_data()), len(statements)
            timings = sorted(timings[1:])
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            print(f"| {email.split('@')[0]} | `{url}` | {statistics.median(timings):.0f} | {p95:.0f} | {queries} "
                  f"| {size:,} | {status} |")


if __name__ == "__main__":
    main()
