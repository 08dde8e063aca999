"""Requests per second under gunicorn for the portal home, a card and the inbox, as a share of a bare Flask "hello".

Both apps run under the same gunicorn settings in the same run (by default the README's: gevent, 2 workers), and
wrk (Debian's `wrk`) loads each path in turn from 127.0.0.1 with a signed-in session. It prints requests/s,
latency p50/p99, the ratio to "hello" and the peak RSS per worker. Compare worker classes with --worker-class:

    .venv/bin/python bench/throughput.py                      # SQLite, the demo practice
    .venv/bin/python bench/throughput.py --worker-class sync --worker-class gthread --worker-class gevent
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/porch_bench .venv/bin/python bench/throughput.py

A PostgreSQL database named in DATABASE_URL is made for the run and dropped after it.
"""

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fanout import Visitor, free_port, rss_kib, worker_pids  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "brunswick-demo-2026"
HELLO_APP = '''
from flask import Flask
app = Flask(__name__)

@app.get("/")
def hello():
    return "Hello"
'''
LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def gunicorn(app: str, port: int, worker_class: str, workers: int, environment: dict, cwd: Path) -> subprocess.Popen:
    command = [str(BIN / "gunicorn"), "--worker-class", worker_class, "--workers", str(workers),
               "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning"]
    if worker_class == "gevent":
        command += ["--worker-connections", "5000"]
    elif worker_class == "gthread":
        command += ["--threads", "8"]
    log = open(Path(tempfile.gettempdir()) / f"porch-throughput-{port}.log", "wb")  # noqa: SIM115
    server = subprocess.Popen([*command, app], cwd=cwd, env=environment, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except urllib.error.HTTPError:
            return server  # it answers (a redirect to the login page counts)
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn {app} on port {port} did not start")


class PeakRss:
    """Samples the workers' RSS while the load runs; keeps the highest per worker."""

    def __init__(self, master: subprocess.Popen):
        self.master, self.peak, self.running = master, 0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            for pid in worker_pids(self.master):
                with contextlib.suppress(OSError):  # a worker that just exited
                    self.peak = max(self.peak, rss_kib(pid))
            time.sleep(0.2)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak


def wrk(url: str, cookie: str, seconds: int, connections: int, *headers: str) -> dict:
    command = ["wrk", "--latency", "-t", "2", "-c", str(connections), "-d", f"{seconds}s",
               "-H", "Accept-Encoding: gzip, br", "-H", f"Cookie: {cookie}", *[f"-H{h}" for h in headers], url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {share: float(value) * UNITS[unit] for share, value, unit in LATENCY.findall(output)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} answers were not 2xx/3xx:\n{output}")
    return {"rate": rate, "p50": latency.get("50", 0.0), "p99": latency.get("99", 0.0)}


def prepare(environment: dict) -> None:
    """The schema and the demo practice, made by the app's own commands."""
    for command in (["db", "upgrade"], ["porch", "demo"]):
        subprocess.run([str(BIN / "flask"), "--app", "app", *command], cwd=ROOT, env=environment, check=True,
                       capture_output=True)


def postgres_database(url: str, action: str) -> None:
    base, name = url.rsplit("/", 1)
    script = (f"from sqlalchemy import create_engine, text\n"
              f"e = create_engine({base + '/postgres'!r}, isolation_level='AUTOCOMMIT')\n"
              f"with e.connect() as c:\n"
              f"    c.execute(text('DROP DATABASE IF EXISTS {name} WITH (FORCE)'))\n"
              + (f"    c.execute(text('CREATE DATABASE {name}'))\n" if action == "create" else ""))
    subprocess.run([sys.executable, "-c", script], check=True)


def signed_in(base: str, email: str) -> str:
    visitor = Visitor(base)
    url = visitor.post("/login", {"email": email, "password": DEMO_PASSWORD})
    if url.endswith("/login"):
        raise SystemExit(f"could not sign in as {email}")
    return visitor.cookie()


def first_conversation(base: str, cookie: str) -> str:
    request = urllib.request.Request(base + "/inbox", headers={"Cookie": cookie})
    page = urllib.request.urlopen(request, timeout=30).read().decode()
    return re.search(r'href="(/inbox/\d+)"', page).group(1)


def measure(worker_class: str, workers: int, seconds: int, connections: int, environment: dict,
            scratch: Path) -> list[tuple]:
    (scratch / "hello.py").write_text(HELLO_APP)
    rows = []
    port = free_port()
    hello = gunicorn("hello:app", port, worker_class, workers, {**os.environ}, scratch)
    try:
        rss = PeakRss(hello)
        baseline = wrk(f"http://127.0.0.1:{port}/", "", seconds, connections)
        rows.append(("hello", baseline, rss.stop()))
    finally:
        hello.terminate()
        hello.wait(timeout=30)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    porch = gunicorn("wsgi:app", port, worker_class, workers, {**environment, "PORCH_BASE_URL": base}, ROOT)
    try:
        client, staff = signed_in(base, "aisha@example.com"), signed_in(base, "carlos@brunswick.example")
        card = ("HX-Request: true",)  # as the home page's htmx refresh asks for it: the card alone
        paths = [("portal home", "/portal", client, ()), ("card: upcoming", "/portal/cards/upcoming", client, card),
                 ("inbox", "/inbox", staff, ()), ("a conversation", first_conversation(base, staff), staff, ())]
        for name, path, cookie, headers in paths:
            rss = PeakRss(porch)
            rows.append((name, wrk(base + path, cookie, seconds, connections, *headers), rss.stop()))
    finally:
        porch.terminate()
        porch.wait(timeout=30)
    return [(name, result, result["rate"] / baseline["rate"], peak) for name, result, peak in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker-class", action="append", dest="classes", help="gevent (default), sync, gthread")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: sudo apt-get install wrk")
    scratch = Path(tempfile.mkdtemp(prefix="porch-throughput-"))
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch / 'porch.db'}"
    environment = {**os.environ, "DATABASE_URL": database, "PORCH_STORAGE_DIR": str(scratch / "documents"),
                   "SECRET_KEY": Fernet.generate_key().decode(), "PORCH_RUN_JOBS": "0",
                   "PORCH_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    environment.pop("REDIS_URL", None)
    if database.startswith("postgresql"):
        postgres_database(database, "create")
    try:
        prepare(environment)
        print(f"database: {database.split(':', 1)[0]}; {arguments.workers} workers; wrk {arguments.connections} "
              f"connections, {arguments.seconds} s per path\n")
        print("| worker class | path | requests/s | p50 ms | p99 ms | share of hello | peak RSS per worker |")
        print("|---|---|---|---|---|---|---|")
        for worker_class in arguments.classes or ["gevent"]:
            for name, result, share, peak in measure(worker_class, arguments.workers, arguments.seconds,
                                                     arguments.connections, environment, scratch):
                print(f"| {worker_class} | {name} | {result['rate']:,.0f} | {result['p50']:.1f} | {result['p99']:.1f} "
                      f"| {share:.1%} | {peak / 1024:.0f} MiB |", flush=True)
    finally:
        if database.startswith("postgresql"):
            postgres_database(database, "drop")
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
