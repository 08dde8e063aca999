"""Live sockets on a real server, as a browser holds them: sign in over HTTP, open `/live`, read what is pushed."""

import time
import uuid

import pytest
from simple_websocket import Client

from tests.conftest import PASSWORD, HttpVisitor


def signed_in(base: str, email: str) -> HttpVisitor:
    visitor = HttpVisitor(base)
    _, page, url = visitor.post("/login", {"email": email, "password": PASSWORD})
    assert not url.endswith("/login"), page
    return visitor


def socket_of(visitor: HttpVisitor, topics: str = "", origin: str | None = None, server: str | None = None) -> Client:
    """A live socket (to `server`, by default the visitor's), once it listens (its first frame is the badges)."""
    url = (server or visitor.base).replace("http://", "ws://") + "/live" + (f"?topics={topics}" if topics else "")
    headers = {"Cookie": visitor.cookie_header(), "Origin": origin or visitor.base}
    socket = Client.connect(url, headers=headers)
    assert "-badge" in socket.receive(timeout=10)
    return socket


def receive(socket: Client, *expected: str, seconds: float = 10) -> str:
    """What is pushed (frames may carry several fragments) until every one of `expected` has arrived."""
    deadline = time.monotonic() + seconds
    pushed = ""
    while time.monotonic() < deadline:
        pushed += socket.receive(timeout=max(0.1, deadline - time.monotonic())) or ""
        if all(text in pushed for text in expected):
            return pushed
    pytest.fail(f"no live update containing {expected!r} within {seconds} s")


def say(visitor: HttpVisitor, path: str, body: str) -> None:
    status, page, _ = visitor.post(path, {"body": body, "request_key": str(uuid.uuid4())})
    assert status == 200, page
