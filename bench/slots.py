"""Free slots: a month for one practitioner with 2,000 appointments, and for "anyone" across 20 practitioners.

    .venv/bin/python bench/slots.py [--runs 50]                       # a temporary SQLite database
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/slots.py

With DATABASE_URL the figures are taken in a scratch database made beside the one named (and dropped after),
so nothing in it is touched. Each run is `open_slots()` end to end in a fresh session: the queries, loading
the rows and computing the slots. Every practitioner works Monday to Friday 09:00–17:00 in their own zone
(London or New York) and has 2,000 appointments spread over a year around the month; the service is 50
minutes with a 10-minute buffer after, on 15-minute steps. Goal: p95 ≤ 50 ms. On PostgreSQL the appointments
are vacuumed and analysed after loading, as autovacuum leaves a table in use (index-only scans need it).

It prints a Markdown table: per case and backend the slots found, p50 / p95 / max milliseconds and the statements
one run sends (loading the service and the practitioner included), after a few warm-up runs. "CPU p50" is this
process's own CPU time (for PostgreSQL the server's share is not in it): on a machine busy with other work the
wall-clock figures grow with the load, that one much less.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, event, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import clock, create_app  # noqa: E402
from app.appointments.models import Appointment  # noqa: E402
from app.appointments.setup import BookingRules, Service, WeeklyHours  # noqa: E402
from app.appointments.slots import open_slots  # noqa: E402
from app.auth.models import User  # noqa: E402
from app.clients.models import Client  # noqa: E402
from app.db import db  # noqa: E402
from app.tenancy import Workspace  # noqa: E402

PRACTITIONERS, APPOINTMENTS_EACH = 20, 2000
NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
MONTH = (NOW, NOW + timedelta(days=30))


def scratch_database(url: str | None, folder: str) -> tuple[str, callable]:
    if not url:
        return f"sqlite:///{folder}/bench.db", lambda: None
    name = f"porch_bench_{uuid.uuid4().hex[:10]}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))

    def drop():
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()

    return url.rsplit("/", 1)[0] + "/" + name, drop


def seed() -> tuple[int, int]:
    rng = random.Random(16)
    workspace = Workspace(name="Bench Practice", time_zone="America/New_York", created_at=NOW)
    db.session.add(workspace)
    db.session.flush()
    people = [User(workspace_id=workspace.id, email=f"p{n}@bench.example", name=f"Practitioner {n:02}",
                   role="practitioner", password_hash="x", created_at=NOW,
                   chosen_time_zone=("Europe/London", "America/New_York")[n % 2]) for n in range(PRACTITIONERS)]
    client = Client(workspace_id=workspace.id, first_name="Bench", last_name="Client", time_zone="UTC",
                    created_at=NOW)
    db.session.add_all([*people, client])
    db.session.flush()
    service = Service(workspace_id=workspace.id, name="Session", duration_minutes=50, kind="telehealth",
                      buffer_after_minutes=10, created_at=NOW, practitioners=people)
    db.session.add_all([service, BookingRules(workspace_id=workspace.id, mode="instant", min_notice_minutes=0,
                                              horizon_days=60, slot_step_minutes=15)])
    db.session.add_all(WeeklyHours(workspace_id=workspace.id, practitioner_id=p.id, weekday=d,
                                   starts=clock_time(9), ends=clock_time(17)) for p in people for d in range(5))
    db.session.flush()
    rows = []
    for p in people:
        for _ in range(APPOINTMENTS_EACH):
            day = NOW - timedelta(days=150) + timedelta(days=rng.randrange(365))
            rows.append({"workspace_id": workspace.id, "client_id": client.id, "practitioner_id": p.id,
                         "starts_at": day.replace(hour=rng.randrange(8, 22), minute=rng.choice((0, 15, 30, 45))),
                         "duration_minutes": 50, "kind": "telehealth", "created_at": NOW, "status": "booked",
                         "service_id": service.id})
    db.session.execute(insert(Appointment), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # the statistics and visibility map autovacuum keeps for a table in use
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE appointments"))
    return service.id, people[0].id


def measure(runs: int, service_id: int, practitioner_id: int | None) -> tuple[list[float], list[float], int, int]:
    """Wall and CPU timings in ms, the slots found and the statements sent by the last run (loading the service
    included). This process's CPU time is the figure to compare when the machine is busy with other work."""
    timings, cpu, found, statements = [], [], 0, []

    def count(*_):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(runs):
            db.session.remove()
            statements.clear()
            started, started_cpu = time.perf_counter(), time.process_time()
            service = db.session.get(Service, service_id)
            who = db.session.get(User, practitioner_id) if practitioner_id else None
            slots = open_slots(service, who, *MONTH, now=NOW)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            found = sum(len(s) for s in slots.values())
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return timings, cpu, found, len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url, drop = scratch_database(os.environ.get("DATABASE_URL"), folder)
        try:
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40,
                              "PORCH_ENCRYPTION_KEYS": Fernet.generate_key().decode()})
            with app.app_context():
                from flask_migrate import upgrade

                upgrade()
                clock.freeze(NOW)
                service_id, first = seed()
                backend = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(db.engine.dialect.name,
                                                                               db.engine.dialect.name)
                print(f"{PRACTITIONERS} practitioners × {APPOINTMENTS_EACH} appointments, free slots for 30 days, "
                      f"{args.runs} runs each, load average {os.getloadavg()[0]:.1f}")
                print(f"| {'case':<34} | {'backend':<10} | {'slots':>6} | {'p50 ms':>7} | {'p95 ms':>7} | "
                      f"{'max ms':>7} | {'CPU p50':>7} | {'queries':>7} |")
                print(f"|{'-' * 36}|{'-' * 12}|{'-' * 7}:|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|")
                for label, who in (("one practitioner", first), (f"anyone ({PRACTITIONERS} practitioners)", None)):
                    measure(3, service_id, who)  # warm up: statement caches, the first connection
                    timings, cpu, found, queries = measure(args.runs, service_id, who)
                    p95 = statistics.quantiles(timings, n=20)[-1]
                    print(f"| {label:<34} | {backend:<10} | {found:>6} | {statistics.median(timings):>7.1f} | "
                          f"{p95:>7.1f} | {max(timings):>7.1f} | {statistics.median(cpu):>7.1f} | {queries:>7} |")
                db.session.remove()
                db.engine.dispose()
        finally:
            drop()


if __name__ == "__main__":
    main()
