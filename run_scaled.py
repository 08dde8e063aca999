"""`make run-scaled`: on this one machine, the processes a real deployment runs, from the Procfile beside this file.

The migrations run first; then every Procfile line starts with the same environment, its output prefixed by its
name. Ctrl-C (or SIGTERM, or any one of them stopping) stops them all. DATABASE_URL and REDIS_URL default to
PostgreSQL and Redis on 127.0.0.1; SMTP_URL unset keeps e-mails in the outbox table (the Outbox page).
"""

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DEFAULTS = {
    "HOST": "127.0.0.1",
    "PORT": "8000",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/porch",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
STOP_SECONDS = 15
PROCFILE_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+):\s*(?P<command>.+)$")
VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def procfile(path: Path = ROOT / "Procfile") -> list[tuple[str, str]]:
    """(name, command) for each line of a Procfile, comments and blank lines left out."""
    entries = []
    for line in path.read_text().splitlines():
        if (found := PROCFILE_LINE.match(line.strip())) and not line.lstrip().startswith("#"):
            entries.append((found["name"], found["command"]))
    return entries


def environment() -> dict[str, str]:
    environ = {**DEFAULTS, **{k: v for k, v in os.environ.items() if v}}
    environ.setdefault("PORCH_BASE_URL", f"http://{environ['HOST']}:{environ['PORT']}")
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
    return environ


def create_database_if_missing(url: str) -> None:
    """The local default database is made on first use; a DATABASE_URL of your own must exist already."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from app.config import database_url

    target = make_url(database_url(url, ROOT / "instance"))
    if not target.drivername.startswith("postgresql"):
        return
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": target.database}).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
                print(f"run-scaled: created the database {target.database}", flush=True)
    finally:
        server.dispose()


def prepare(environ: dict[str, str]) -> None:
    if environ["DATABASE_URL"] == DEFAULTS["DATABASE_URL"]:
        create_database_if_missing(environ["DATABASE_URL"])
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=environ, check=True)
    if environ.get("PORCH_ENV") != "production":
        subprocess.run([*flask, "porch", "demo"], cwd=ROOT, env=environ, check=True)


def relay(name: str, width: int, stream) -> None:
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"{name:<{width}} | {line.decode(errors='replace')}")
        sys.stdout.flush()


def start(entries: list[tuple[str, str]], environ: dict[str, str]) -> dict[str, subprocess.Popen]:
    width = max(len(name) for name, _ in entries)
    running = {}
    for name, command in entries:
        argv = [VARIABLE.sub(lambda found: environ[found[1] or found[2]], part) for part in shlex.split(command)]
        process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **environ}, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        threading.Thread(target=relay, args=(name, width, process.stdout), daemon=True).start()
        running[name] = process
        print(f"run-scaled: started {name} (pid {process.pid}): {command}", flush=True)  # URLs may hold passwords
    return running


def stop(running: dict[str, subprocess.Popen]) -> None:
    for process in running.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for name, process in running.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"run-scaled: {name} did not stop in {STOP_SECONDS} s; killing it", flush=True)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> int:
    environ = environment()
    os.environ.update(environ)
    prepare(environ)
    mail = "through SMTP_URL" if environ.get("SMTP_URL") else "to the Outbox page"
    print(f"run-scaled: Porch at {environ['PORCH_BASE_URL']}, e-mails {mail}; "
          "Ctrl-C stops everything.", flush=True)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    running = start(procfile(), environ)
    try:
        while not stopping.is_set():
            ended = [name for name, process in running.items() if process.poll() is not None]
            if ended:
                print(f"run-scaled: {', '.join(ended)} stopped (exit {running[ended[0]].returncode}); "
                      "stopping the rest", flush=True)
                break
            stopping.wait(0.5)
    finally:
        stop(running)
    print("run-scaled: all stopped", flush=True)
    return 0 if stopping.is_set() else 1


if __name__ == "__main__":
    sys.exit(main())
