"""Redis stops under open pages: their live sockets close (what is published meanwhile reaches nobody), new ones are
refused so that the pages keep polling, the messages sent meanwhile are there for the poll, and once Redis is
back the sockets open again and carry what comes next."""

import uuid

import pytest
from simple_websocket import ConnectionClosed, ConnectionError

from tests.conftest import free_port, start_gunicorn, stop_gunicorn, wait_until
from tests.live_sockets import receive, say, signed_in, socket_of

CATCH_UP = 1012


def closed_with(socket) -> int | None:
    """The close code once the server has closed `socket`; None while it is open."""
    try:
        socket.receive(timeout=0.5)
    except ConnectionClosed as closed:
        return closed.reason
    return None


def refused_with(visitor, topics: str) -> int | None:
    """The HTTP status a new socket is refused with; None if it opens."""
    try:
        socket_of(visitor, topics).close()
    except ConnectionError as refused:
        return refused.status_code
    return None


@pytest.fixture
def web(private_redis, practice, environment):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment.setenv("PORCH_BASE_URL", base)
    server = start_gunicorn(port, "--worker-class", "gevent", "--workers", "1")
    yield base
    stop_gunicorn(server)


def test_open_pages_fall_back_to_polling_while_redis_is_down_and_go_live_again(web, private_redis, practice):
    carlos = signed_in(web, "carlos@brunswick.example")
    _, _, url = carlos.post("/inbox/compose", {"client": practice.aisha.id, "body": "How are the exercises going?",
                                               "request_key": str(uuid.uuid4())})
    conversation = int(url.rsplit("/", 1)[1])
    topic = f"conversation-{conversation}"
    open_page = socket_of(carlos, topic)

    private_redis.stop()
    assert wait_until(lambda: closed_with(open_page), "the open page's socket to close", seconds=30) == CATCH_UP
    assert refused_with(carlos, topic) == 503

    say(carlos, f"/inbox/{conversation}", "Sent while live updates were down")  # the page is still served
    status, fragment, _ = carlos.get(f"/inbox/{conversation}/messages")  # what the page's poll asks for
    assert status == 200 and "Sent while live updates were down" in fragment

    private_redis.start()
    wait_until(lambda: refused_with(carlos, topic) is None, "sockets to be accepted again", seconds=30)
    reopened = socket_of(carlos, topic)
    try:
        say(carlos, f"/inbox/{conversation}", "Sent once Redis was back")
        assert "Sent once Redis was back" in receive(reopened, "Sent once Redis was back")
    finally:
        reopened.close()
