"""Scaled mode end to end: two gunicorn workers, an RQ worker and an SMTP server, all real, over HTTP."""

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, HttpVisitor, free_port, link_in

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture
def gunicorn(redis_url, smtp_server, environment):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment.setenv("PORCH_BASE_URL", base)
    server = subprocess.Popen([str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=ROOT, env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("gunicorn did not start: " + server.stdout.read().decode())
    yield base
    server.terminate()
    server.wait(timeout=20)


def test_the_invite_loop_runs_on_gunicorn_rq_and_smtp(gunicorn, smtp_server, redis_url, practice):
    carlos = HttpVisitor(gunicorn)
    status, page, url = carlos.post("/login", {"email": "carlos@brunswick.example", "password": PASSWORD})
    assert url.endswith("/clients"), page
    status, page, _ = carlos.post(f"/clients/{practice.aisha.id}/invite", {"request_key": str(uuid.uuid4())})
    assert "Portal invite on its way" in page

    worker = subprocess.run([str(BIN / "rq"), "worker", "--burst", "--with-scheduler", "--url", redis_url],
                            cwd=ROOT, env={**os.environ}, capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr
    [email] = smtp_server.to("aisha@example.com")
    link = link_in(email)
    assert link.startswith(gunicorn + "/invite/")

    aisha = HttpVisitor(gunicorn)
    path = link.removeprefix(gunicorn)
    status, page, url = aisha.post(path, {"password": "river-stone-autumn-8", "confirm": "river-stone-autumn-8"})
    assert url.endswith("/portal")
    assert "Welcome back, Aisha" in page
    assert HttpVisitor(gunicorn).get("/readyz")[0] == 200
