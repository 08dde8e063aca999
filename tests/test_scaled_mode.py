"""Scaled mode end to end: two gunicorn workers, an RQ worker and an SMTP server, all real, over HTTP."""

import uuid

import pytest

from tests.conftest import PASSWORD, HttpVisitor, free_port, link_in, run_rq_worker, start_gunicorn, stop_gunicorn


@pytest.fixture
def gunicorn(redis_url, smtp_server, environment):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment.setenv("PORCH_BASE_URL", base)
    server = start_gunicorn(port, "--workers", "2")
    yield base
    stop_gunicorn(server)


def test_the_invite_loop_runs_on_gunicorn_rq_and_smtp(gunicorn, smtp_server, redis_url, practice):
    carlos = HttpVisitor(gunicorn)
    status, page, url = carlos.post("/login", {"email": "carlos@brunswick.example", "password": PASSWORD})
    assert url.endswith("/clients"), page
    status, page, _ = carlos.post(f"/clients/{practice.aisha.id}/invite", {"request_key": str(uuid.uuid4())})
    assert "Portal invite on its way" in page

    run_rq_worker(redis_url)
    [email] = smtp_server.to("aisha@example.com")
    link = link_in(email)
    assert link.startswith(gunicorn + "/invite/")

    aisha = HttpVisitor(gunicorn)
    path = link.removeprefix(gunicorn)
    status, page, url = aisha.post(path, {"password": "river-stone-autumn-8", "confirm": "river-stone-autumn-8"})
    assert url.endswith("/portal")
    assert "Welcome, Aisha" in page
    assert HttpVisitor(gunicorn).get("/readyz")[0] == 200
