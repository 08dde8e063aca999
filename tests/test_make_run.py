"""`make run` serves Porch under gunicorn with one gevent worker: compressed, on PORT/HOST, jobs in that worker.

The server is started with the very command line the Makefile runs (read back with `make -n`), so the test and
the two-command start can't drift apart.
"""

import shlex
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest
from sqlalchemy import select

from app.db import db
from app.mail import OutboxEmail
from tests.conftest import PASSWORD, ROOT, HttpVisitor, free_port, stop_gunicorn, wait_until


def server_command(target: str, port: int, host: str) -> list[str]:
    """The line of `make <target>` that starts the server, as make would run it with PORT and HOST set."""
    dry_run = subprocess.run(["make", "--no-print-directory", "-n", "-s", target], cwd=ROOT, check=True,
                             capture_output=True, text=True,
                             env={**subprocess.os.environ, "PORT": str(port), "HOST": host})
    [line] = [line for line in dry_run.stdout.splitlines() if "/gunicorn " in line or " wsgi run " in line]
    return shlex.split(line)


def make_run_server_command(port: int, host: str) -> list[str]:
    return server_command("run", port, host)


@pytest.fixture
def made_run(environment, practice):
    """Porch as `make run` starts it (embedded: no Redis, no SMTP, the job thread on), on a free port."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment.setenv("PORCH_BASE_URL", base)
    environment.setenv("PORCH_RUN_JOBS", "1")
    server = subprocess.Popen(make_run_server_command(port, "127.0.0.1"), cwd=ROOT, env=dict(subprocess.os.environ),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: _answers(base + "/healthz"), "gunicorn to answer /healthz", seconds=30)
        yield base, server
    finally:
        stop_gunicorn(server)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def test_it_runs_gunicorn_with_one_gevent_worker_on_the_given_port_and_host():
    command = make_run_server_command(8080, "0.0.0.0")
    assert command[0].endswith("/gunicorn")
    assert command[command.index("--worker-class") + 1] == "gevent"
    assert command[command.index("--workers") + 1] == "1"
    assert command[command.index("--bind") + 1] == "0.0.0.0:8080"
    assert "--preload" not in command
    assert command[-1] == "wsgi:app"


def test_it_serves_compressed_pages_and_delivers_jobs_from_one_worker(made_run, practice):
    base, server = made_run
    request = urllib.request.Request(base + "/login", headers={"Accept-Encoding": "gzip, deflate, br"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "br"
        assert response.headers["Server"].startswith("gunicorn")

    carlos = HttpVisitor(base)
    status, page, url = carlos.post("/login", {"email": "carlos@brunswick.example", "password": PASSWORD})
    assert url.endswith("/clients"), page
    status, page, _ = carlos.post("/inbox/compose", {"client": practice.aisha.id, "body": "See you on Tuesday.",
                                                     "request_key": str(uuid.uuid4())})
    assert status == 200 and "See you on Tuesday." in page
    status, page, _ = carlos.post(f"/clients/{practice.aisha.id}/invite", {"request_key": str(uuid.uuid4())})
    assert "Portal invite on its way" in page

    def invite_in_outbox():
        db.session.rollback()
        return db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == "aisha@example.com",
                                                            OutboxEmail.status == "sent")).all()

    [invite] = wait_until(invite_in_outbox, "the embedded job thread to put the invite in the outbox", seconds=20)
    assert invite.template == "portal_invite"

    server.terminate()
    output = server.communicate(timeout=20)[0].decode()
    assert output.count("Booting worker") == 1, output
    assert output.count("embedded job runner started") == 1, output
    assert "development server" not in output.lower()


def test_it_keeps_the_debug_server_for_development_with_one_job_thread(environment):
    port = free_port()
    environment.setenv("PORCH_RUN_JOBS", "1")
    command = server_command("dev", port, "127.0.0.1")
    assert command[command.index("--port") + 1] == str(port) and "--debug" in command
    server = subprocess.Popen(command, cwd=ROOT, env=dict(subprocess.os.environ), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), "flask run to answer /healthz", seconds=30)
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert "Debugger is active" in output
    assert output.count("embedded job runner started") == 1, output


def test_it_keeps_answering_while_a_password_is_checked(made_run, practice):
    base, _ = made_run
    waits: list[float] = []
    done = threading.Event()

    def probe():
        while not done.is_set():
            started = time.perf_counter()
            urllib.request.urlopen(base + "/healthz", timeout=10).read()
            waits.append(time.perf_counter() - started)
            time.sleep(0.01)

    carlos = HttpVisitor(base)
    carlos.get("/login/help")
    prober = threading.Thread(target=probe)
    prober.start()
    try:
        started = time.perf_counter()
        status, page, _ = carlos.post("/login", {"email": "carlos@brunswick.example", "password": "wrong-password-1"})
        login = time.perf_counter() - started
    finally:
        done.set()
        prober.join()
    assert status == 422 and "password" in page.lower()
    assert max(waits) < 0.6 * login, (max(waits), login)  # argon2 runs beside the event loop, not on it
    status, _, url = carlos.post("/login", {"email": "carlos@brunswick.example", "password": PASSWORD})
    assert url.endswith("/clients")
