"""A web process restarts (a deploy, a crash): the people signed in stay signed in, and what they sent before the
restart is there after it."""

import uuid

from tests.conftest import PASSWORD, HttpVisitor, free_port, start_gunicorn, stop_gunicorn


def test_sessions_and_messages_survive_a_web_restart(private_redis, processes, practice, environment, app):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment.setenv("PORCH_BASE_URL", base)
    web = start_gunicorn(port, "--workers", "2")
    try:
        carlos = HttpVisitor(base)
        status, page, url = carlos.post("/login", {"email": "carlos@brunswick.example", "password": PASSWORD})
        assert url.endswith("/clients"), page
        status, page, _ = carlos.get(f"/clients/{practice.aisha.id}")
        assert status == 200
    finally:
        stop_gunicorn(web)

    web = start_gunicorn(port, "--workers", "2")  # the same address, new processes
    try:
        status, page, url = carlos.get(f"/clients/{practice.aisha.id}")
        assert status == 200 and url.endswith(f"/clients/{practice.aisha.id}"), url
        assert "Aisha" in page
        status, page, url = carlos.post(f"/clients/{practice.aisha.id}/invite", {"request_key": str(uuid.uuid4())})
        assert status == 200 and "Portal invite on its way" in page
    finally:
        stop_gunicorn(web)
