"""What one request costs in this process, independent of the machine's load: CPU ms, Python calls, SQL statements.

The app is made as gunicorn makes it (wsgi.py, a fresh SQLite database with the demo practice, no Redis, no job
thread) and driven by Flask's test client, signed in as the demo client (portal home, a card) and the demo
practitioner (inbox, a conversation). CPU time is the best of three runs of --requests; Python calls (counted
by cProfile) and statements don't depend on the load at all. bench/throughput.py measures the same paths under
gunicorn.

    .venv/bin/python bench/request_cost.py [--requests 300]
"""

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "brunswick-demo-2026"


def prepared_environment(scratch: Path) -> None:
    os.environ.update({"DATABASE_URL": f"sqlite:///{scratch / 'porch.db'}", "PORCH_RUN_JOBS": "0",
                       "PORCH_STORAGE_DIR": str(scratch / "documents"), "PORCH_INSTANCE_PATH": str(scratch / "i"),
                       "SECRET_KEY": Fernet.generate_key().decode(),
                       "PORCH_ENCRYPTION_KEYS": Fernet.generate_key().decode()})
    os.environ.pop("REDIS_URL", None)
    for command in (["db", "upgrade"], ["porch", "demo"]):
        subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "app", *command], cwd=ROOT,
                       check=True, capture_output=True)


def signed_in(app, email: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    if answer.status_code not in (302, 303):
        raise SystemExit(f"could not sign in as {email}")
    return client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    requests = parser.parse_args().requests
    prepared_environment(Path(tempfile.mkdtemp(prefix="porch-request-cost-")))
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import event

    import wsgi
    from app.db import db

    app = wsgi.app
    with app.app_context():
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *_: statements.append(1))
    client, staff = signed_in(app, "aisha@example.com"), signed_in(app, "carlos@brunswick.example")
    conversation = re.search(r'href="(/inbox/\d+)"', staff.get("/inbox").get_data(as_text=True)).group(1)
    print("| path | CPU ms per request | Python calls per request | SQL statements |")
    print("|---|---|---|---|")
    paths = [("portal home", client, "/portal", False), ("card: upcoming", client, "/portal/cards/upcoming", True),
             ("inbox", staff, "/inbox", False), ("a conversation", staff, conversation, False)]
    for name, visitor, path, htmx in paths:
        headers = {"Accept-Encoding": "gzip, br", **({"HX-Request": "true"} if htmx else {})}
        for _ in range(20):
            assert visitor.get(path, headers=headers).status_code == 200
        runs = []
        for _ in range(3):
            started = time.process_time()
            for _ in range(requests):
                visitor.get(path, headers=headers)
            runs.append((time.process_time() - started) / requests * 1000)
        statements.clear()
        visitor.get(path, headers=headers)
        queries = len(statements)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(50):
            visitor.get(path, headers=headers)
        profile.disable()
        calls = pstats.Stats(profile).total_calls / 50
        print(f"| {name} | {min(runs):.2f} | {calls:,.0f} | {queries} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
