"""Scaled mode end to end: two gunicorn workers, an RQ worker and an SMTP server, all real, over HTTP."""

import uuid

import pytest

from tests.conftest import PASSWORD, HttpVisitor, free_port, link_in, run_rq_worker, start_gunicorn, stop_gunicorn
from tests.live_sockets import receive, say, signed_in, socket_of


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


def test_a_client_is_invited_registers_and_talks_live_across_two_web_processes(redis_url, smtp_server, environment,
                                                                               practice):
    """The scaled topology end to end: each person on a different gunicorn process, mail sent by an RQ worker,
    and every live update crossing processes through Redis."""
    port_a, port_b = free_port(), free_port()
    site_a, site_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    environment.setenv("PORCH_BASE_URL", site_a)  # one public site, two processes behind it
    servers = [start_gunicorn(port, "--worker-class", "gevent", "--workers", "1") for port in (port_a, port_b)]
    try:
        carlos = signed_in(site_a, "carlos@brunswick.example")
        _, page, _ = carlos.post(f"/clients/{practice.aisha.id}/invite", {"request_key": str(uuid.uuid4())})
        assert "Portal invite on its way" in page
        run_rq_worker(redis_url)
        [email] = smtp_server.to("aisha@example.com")
        aisha = HttpVisitor(site_b)
        status, page, url = aisha.post(link_in(email).removeprefix(site_a),
                                       {"password": PASSWORD, "confirm": PASSWORD})
        assert (status, url) == (200, site_b + "/portal"), page

        _, _, url = carlos.post("/inbox/compose", {"client": practice.aisha.id, "body": "Welcome to the portal",
                                                   "request_key": str(uuid.uuid4())})
        conversation_id = int(url.rsplit("/", 1)[1])
        status, page, _ = aisha.get(f"/portal/messages/{conversation_id}")
        assert status == 200 and "Welcome to the portal" in page
        aisha_live = socket_of(aisha, f"conversation-{conversation_id}", origin=site_a)
        inbox_live = socket_of(carlos, "inbox")
        try:
            say(carlos, f"/inbox/{conversation_id}", "Your next session is on Tuesday")
            assert "Your next session is on Tuesday" in receive(aisha_live, "Your next session is on Tuesday")
            say(aisha, f"/portal/messages/{conversation_id}", "Thank you, see you then")
            # Carlos's own message moved the row first; only her reply marks it New.
            assert f'id="conversation-{conversation_id}"' in receive(inbox_live, ">New<").rsplit("<ul", 1)[-1]
        finally:
            aisha_live.close()
            inbox_live.close()
        status, page, _ = carlos.get(f"/inbox/{conversation_id}")
        assert status == 200 and "Thank you, see you then" in page
    finally:
        for server in servers:
            stop_gunicorn(server)
