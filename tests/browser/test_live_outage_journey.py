"""Aisha keeps her conversation open while Redis restarts under the scaled topology (gunicorn with gevent, a private
redis-server): the message Carlos sends meanwhile reaches her page without a reload, and so does the next one once
live updates are back. JavaScript on only: without it the page has no socket and reads messages by reloading, which
tests/inbox covers."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Visit
from tests.browser.test_invite_journey import log_in
from tests.conftest import free_port, make_portal_account, start_gunicorn, stop_gunicorn
from tests.faults.conftest import PrivateRedis
from tests.live_sockets import say, signed_in

pytestmark = pytest.mark.browser
CATCHING_UP_MS = 60_000  # the page polls every 20 s while its socket is down, and asks once when it opens again


@pytest.fixture
def scaled(environment, tmp_path, practice, smtp_server):
    redis = PrivateRedis(tmp_path)
    redis.start()
    environment.setenv("REDIS_URL", redis.url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment.setenv("PORCH_BASE_URL", base)
    make_portal_account(practice.aisha)
    server = start_gunicorn(port, "--worker-class", "gevent", "--workers", "1")
    yield base, redis
    stop_gunicorn(server)
    redis.stop()


def test_a_message_sent_while_redis_restarts_reaches_the_open_page(scaled, browser, practice):
    base, redis = scaled
    carlos = signed_in(base, "carlos@brunswick.example")
    _, _, url = carlos.post("/inbox/compose", {"client": practice.aisha.id, "body": "How are the exercises going?",
                                               "request_key": str(uuid.uuid4())})
    conversation = url.rsplit("/", 1)[1]
    visit = Visit(browser, base)
    try:
        aisha = visit.page(viewport={"width": 390, "height": 844})
        log_in(aisha, "aisha@example.com", at="/portal/login")
        aisha.goto(f"/portal/messages/{conversation}")
        expect(aisha.get_by_text("How are the exercises going?")).to_be_visible()
        expect(aisha.locator("html[data-live=ready]")).to_have_count(1)
        visit.assert_accessible(aisha, "a conversation in the portal")

        aisha.evaluate("window.sameDocument = true")  # gone if the page were loaded again
        redis.stop()
        expect(aisha.locator("html[data-live=down]")).to_have_count(1, timeout=CATCHING_UP_MS)
        say(carlos, f"/inbox/{conversation}", "Sent while Redis was down")
        redis.start()
        expect(aisha.get_by_text("Sent while Redis was down")).to_be_visible(timeout=CATCHING_UP_MS)
        expect(aisha.locator("html[data-live=ready]")).to_have_count(1, timeout=CATCHING_UP_MS)

        say(carlos, f"/inbox/{conversation}", "And once it was back")
        expect(aisha.get_by_text("And once it was back")).to_be_visible()
        assert aisha.evaluate("window.sameDocument === true")
        visit.assert_no_csp_reports()
    finally:
        visit.close()
