"""Fixtures: every database test runs on SQLite and on PostgreSQL; Redis, SMTP and the browser are real.

A service the suite needs that is not running is a failure with instructions, never a skip.
"""

import asyncio
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from werkzeug.serving import make_server

from app import clock, create_app
from app.auth.models import User
from app.auth.passwords import hash_password
from app.clients.models import Client
from app.db import db
from app.tenancy import Workspace

POSTGRES_URL = os.environ.get("PORCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_SERVER = os.environ.get("PORCH_TEST_REDIS_SERVER", "redis://127.0.0.1:6379")
BACKENDS = [b for b in os.environ.get("PORCH_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
TEST_KEYS = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
PASSWORD = "correct-horse-battery-2026"
PASSWORD_HASH = hash_password(PASSWORD)
CSRF_IN_PAGE = re.compile(r'"X-CSRFToken": "([^"]+)"')


def missing_service(name: str, how: str) -> None:
    pytest.fail(f"{name} is not reachable; the suite needs it (also with CI=true). {how}", pytrace=False)


# --- databases -----------------------------------------------------------------------------------

@pytest.fixture(scope="session", params=BACKENDS)
def migrated_database(request, tmp_path_factory):
    """A database migrated to head with Alembic: a template SQLite file, or a PostgreSQL database of this run's own.

    The PostgreSQL database is made beside `test` and dropped at the end, so that runs side by side don't meet.
    """
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("sqlite") / "template.db"
        _migrate(f"sqlite:///{template}", tmp_path_factory.mktemp("instance"))
        yield ("sqlite", template)
        return
    name = f"porch_test_{uuid.uuid4().hex[:12]}"
    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except Exception as error:  # noqa: BLE001
        missing_service("PostgreSQL at 127.0.0.1:5432 (database test)",
                        f"Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start ({error})")
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    _migrate(url, tmp_path_factory.mktemp("instance"))
    yield ("postgresql", url)
    with server.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    server.dispose()


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "migrate", "PORCH_ENCRYPTION_KEYS": TEST_KEYS})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture
def database_url(migrated_database, tmp_path):
    """A clean database for one test: a copy of the SQLite template, or PostgreSQL emptied afterwards."""
    backend, source = migrated_database
    if backend == "sqlite":
        path = tmp_path / "porch.db"
        shutil.copy(source, path)
        yield f"sqlite:///{path}"
        return
    yield source
    engine = create_engine(source)
    with engine.begin() as connection:
        tables = connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )).scalars().all()
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


# --- the app -------------------------------------------------------------------------------------

@pytest.fixture
def environment(monkeypatch, database_url, tmp_path):
    """The environment a Porch process reads; tests add REDIS_URL or SMTP_URL as they need."""
    for name in ("REDIS_URL", "SMTP_URL", "PORCH_ENV"):
        monkeypatch.delenv(name, raising=False)
    values = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-" + uuid.uuid4().hex,
        "PORCH_ENCRYPTION_KEYS": ",".join(TEST_KEYS),
        "PORCH_BASE_URL": "http://porch.test",
        "PORCH_INSTANCE_PATH": str(tmp_path / "instance"),
        "PORCH_RUN_JOBS": "0",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.fixture
def make_app(environment):
    made = []

    def make(**overrides) -> Flask:
        app = create_app({"TESTING": True, **overrides})
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture(autouse=True)
def real_time():
    yield
    clock.unfreeze()


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """The statements sent to the database meanwhile (SQLAlchemy's before_cursor_execute), for query-count tests."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def run_jobs(app: Flask) -> int:
    """Run what the embedded queue holds that is due now (the job thread is off in tests)."""
    return app.extensions["porch.queue"].run_due()


# --- people --------------------------------------------------------------------------------------

def make_workspace(name: str = "Brunswick Practice", **settings) -> Workspace:
    workspace = Workspace(name=name, time_zone="America/New_York", created_at=clock.now(), **settings)
    db.session.add(workspace)
    db.session.commit()
    return workspace


def make_staff(workspace: Workspace, email: str, role: str = "practitioner", name: str | None = None) -> User:
    user = User(workspace_id=workspace.id, email=email, name=name or email.split("@")[0].title(), role=role,
                password_hash=PASSWORD_HASH, created_at=clock.now())
    db.session.add(user)
    db.session.commit()
    return user


def make_client(workspace: Workspace, first_name: str = "Aisha", last_name: str = "Rahman",
                email: str | None = "aisha@example.com", care_team=(), time_zone: str = "America/New_York") -> Client:
    client = Client(workspace_id=workspace.id, first_name=first_name, last_name=last_name, email=email,
                    time_zone=time_zone, care_team=list(care_team), created_at=clock.now())
    db.session.add(client)
    db.session.commit()
    return client


def make_portal_account(client: Client) -> User:
    user = User(workspace_id=client.workspace_id, email=client.email, name=client.full_name,
                password_hash=PASSWORD_HASH, client_id=client.id, created_at=clock.now())
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def practice(app):
    """Brunswick Practice with an owner, an admin, two practitioners and a client on Carlos's roster."""
    workspace = make_workspace()
    people = {
        "workspace": workspace,
        "owner": make_staff(workspace, "owner@brunswick.example", "owner", "Maya Brennan"),
        "admin": make_staff(workspace, "admin@brunswick.example", "admin", "Sam Admin"),
        "carlos": make_staff(workspace, "carlos@brunswick.example", "practitioner", "Carlos Diaz"),
        "priya": make_staff(workspace, "priya@brunswick.example", "practitioner", "Priya Shah"),
    }
    people["aisha"] = make_client(workspace, care_team=[people["carlos"]])
    return type("Practice", (), people)


@pytest.fixture
def outsider(app):
    """Another practice on the same Porch, with a client of its own."""
    workspace = make_workspace("Elsewhere Clinic")
    staff = make_staff(workspace, "boss@elsewhere.example", "owner")
    client = make_client(workspace, "Olu", "Other", "olu@example.org", care_team=[staff])
    return type("Outsider", (), {"workspace": workspace, "owner": staff, "client": client})


# --- acting like a user --------------------------------------------------------------------------

class Visitor:
    """A browser-like test client: keeps cookies, sends the CSRF token the page gave it, logs in like a user."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def get(self, url: str, htmx: bool = False, headers: dict | None = None, **kwargs):
        _forget_request_state()
        return self.client.get(url, headers={**_htmx_headers(htmx), **(headers or {})}, **kwargs)

    def csrf_token(self) -> str:
        _forget_request_state()
        page = self.client.get("/login/help").get_data(as_text=True)
        return CSRF_IN_PAGE.search(page).group(1)

    def post(self, url: str, data: dict | None = None, htmx: bool = False, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf_token())
        _forget_request_state()
        return self.client.post(url, data=data, headers=_htmx_headers(htmx), **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)
        return response


def _forget_request_state() -> None:
    """Requests reuse the test's app context, and so its `g`: drop what one request left for the next."""
    if has_app_context():
        for name in list(g):
            g.pop(name)
        db.session.expire_all()


def _htmx_headers(htmx: bool) -> dict:
    return {"HX-Request": "true"} if htmx else {}


@pytest.fixture
def visitor(app) -> Visitor:
    return Visitor(app.test_client())


@pytest.fixture
def as_user(app):
    """as_user(user) → a Visitor already logged in as that user."""

    def log_in(user: User) -> Visitor:
        visitor = Visitor(app.test_client())
        visitor.login(user.email)
        return visitor

    return log_in


# --- real services -------------------------------------------------------------------------------

class Mailbox:
    """An aiosmtpd handler: accepts mail, refuses addresses starting 'refused', defers those starting 'busy'.

    `deferring_until` (a time on Porch's clock) defers every address until then, like a greylisting or
    recovering server; `held` (a threading.Event) keeps the 250 reply to DATA back until it is set.
    """

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.deferring_until = None
        self.held: threading.Event | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address.startswith("busy") or (self.deferring_until is not None and clock.now() < self.deferring_until):
            return "451 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        while self.held is not None and not self.held.is_set():
            await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(environment):
    """A real SMTP server on loopback; SMTP_URL points the app at it."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    environment.setenv("SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    mailbox.port = controller.port
    yield mailbox
    controller.stop()


@pytest.fixture(scope="session")
def redis_database():
    """A Redis database (1–15) that this test run holds alone, so that runs side by side don't meet."""
    from redis import Redis

    run = uuid.uuid4().hex
    for number in range(15, 0, -1):
        connection = Redis.from_url(f"{REDIS_SERVER}/{number}")
        try:
            taken = connection.set("porch-test-run", run, nx=True, ex=3600)
        except Exception as error:  # noqa: BLE001
            missing_service("Redis at 127.0.0.1:6379", "Start it: redis-server --daemonize yes --bind 127.0.0.1 "
                            f"--port 6379 --save '' --appendonly no ({error})")
        if taken:
            yield f"{REDIS_SERVER}/{number}"
            connection.flushdb()
            return
    pytest.fail("every Redis test database (1-15) is held by another test run", pytrace=False)


@pytest.fixture
def redis_url(environment, redis_database):
    """Real Redis, emptied before and after each test; REDIS_URL points the app at it."""
    from redis import Redis

    connection = Redis.from_url(redis_database)
    run = connection.get("porch-test-run")
    connection.flushdb()
    connection.set("porch-test-run", run, ex=3600)
    environment.setenv("REDIS_URL", redis_database)
    yield redis_database
    connection.flushdb()
    connection.set("porch-test-run", run, ex=3600)


def link_in(message: EmailMessage) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/(?:invite|password/reset)/\S+", body).group(0)


class HttpVisitor:
    """A client of a real server over HTTP, with its own cookies (the session) and the page's CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict) -> tuple[int, str, str]:
        _, page, _ = self.get("/login/help")
        fields = {"csrf_token": CSRF_IN_PAGE.search(page).group(1), **fields}
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))

    def _open(self, request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.url

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def post_at_once(base: str, path: str, forms: list[dict]) -> list[tuple[int, str]]:
    """POST each form to `path` from its own visitor, all released together by a barrier: (status, final path) each.

    Each visitor first loads a page for its CSRF token, so only the POSTs themselves race.
    """
    barrier = threading.Barrier(len(forms))
    results: list = [None] * len(forms)

    def post(index: int, fields: dict) -> None:
        visitor = HttpVisitor(base)
        _, page, _ = visitor.get("/login/help")
        data = urllib.parse.urlencode({"csrf_token": CSRF_IN_PAGE.search(page).group(1), **fields}).encode()
        barrier.wait(timeout=30)
        status, _, url = visitor._open(urllib.request.Request(base + path, data=data, method="POST"))
        results[index] = (status, url.removeprefix(base))

    threads = [threading.Thread(target=post, args=(i, fields)) for i, fields in enumerate(forms)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


ROOT = Path(__file__).resolve().parent.parent


def start_gunicorn(port: int, *options: str) -> subprocess.Popen:
    """`gunicorn wsgi:app` on 127.0.0.1:port with the test's environment, once it answers /healthz."""
    log = Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])  # a file, not a pipe nobody reads
    with log.open("wb") as output:
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), *options, "--bind",
                                   f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env={**os.environ}, stdout=output,
                                  stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    server.wait()
    pytest.fail("gunicorn did not start: " + log.read_text(errors="replace"), pytrace=False)


def run_rq_worker(redis_url: str) -> None:
    """A stock `rq worker --burst --with-scheduler`: it runs what is queued and due, then exits."""
    worker = subprocess.run([str(Path(sys.executable).parent / "rq"), "worker", "--burst", "--with-scheduler",
                             "--url", redis_url], cwd=ROOT, env={**os.environ}, capture_output=True, text=True,
                            timeout=120)
    assert worker.returncode == 0, worker.stderr


GRACEFUL_STOP_SECONDS = 45  # gunicorn lets open connections (keep-alive, live sockets) finish for up to 30 s


def stop_gunicorn(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=GRACEFUL_STOP_SECONDS)


# --- the live server (browser and WebSocket tests) ---------------------------------------------------

@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def served(app) -> Iterator[str]:
    """The test's app over HTTP on loopback (no job thread, no mail server): its base URL."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def live_server(environment, smtp_server, make_app) -> Iterator[LiveServer]:
    """Porch served over HTTP on loopback, e-mailing through the test SMTP server, with its job thread running."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment.setenv("PORCH_BASE_URL", url)
    app = make_app()
    jobs = app.extensions["porch.queue"]
    jobs.start()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="porch-live-server", daemon=True)
    thread.start()
    yield LiveServer(url, app)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    jobs.stop()


def wait_until(condition: Callable[[], object], what: str, seconds: float = 10, pause: float = 0.2):
    """Check `condition` until it holds (its value is returned), failing with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"Waited {seconds:g} s for {what}.", pytrace=False)
        time.sleep(pause)
    return value
