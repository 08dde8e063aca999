"""The live socket, on a real server: who may connect, who receives what, and fan-out across processes."""

import time
import uuid
from contextlib import suppress

import pytest
from simple_websocket import Client, ConnectionClosed
from simple_websocket import ConnectionError as HandshakeRefused

from app.db import db
from app.inbox.policy import ASSIGNED_ONLY
from tests.conftest import (
    HttpVisitor,
    free_port,
    link_in,
    make_portal_account,
    start_gunicorn,
    stop_gunicorn,
    wait_until,
)
from tests.live_sockets import receive, say, signed_in, socket_of


@pytest.fixture
def people(practice):
    make_portal_account(practice.aisha)
    return practice


def test_it_pushes_a_new_message_to_the_clients_open_page(live_server, people):
    carlos = signed_in(live_server.url, "carlos@brunswick.example")
    status, page, url = carlos.post("/inbox/compose", {"client": people.aisha.id, "body": "First note",
                                                       "request_key": str(uuid.uuid4())})
    conversation_id = int(url.rsplit("/", 1)[1])
    aisha = socket_of(signed_in(live_server.url, "aisha@example.com"), f"conversation-{conversation_id},home")
    try:
        say(carlos, f"/inbox/{conversation_id}", "Your results are in")
        pushed = receive(aisha, "Your results are in", 'id="card-messages"')
        assert f'data-append-once hx-swap-oob="beforeend:#messages-{conversation_id}"' in pushed
        assert "First note" not in pushed  # only the new message travels
        assert "csrf_token" not in pushed
        assert "2 unread" in pushed
        assert f'hx-post="/portal/messages/{conversation_id}/seen" hx-trigger="load"' in pushed
    finally:
        aisha.close()


def test_it_pushes_a_client_reply_to_the_inbox(live_server, people):
    carlos = signed_in(live_server.url, "carlos@brunswick.example")
    _, _, url = carlos.post("/inbox/compose", {"client": people.aisha.id, "body": "Hello",
                                               "request_key": str(uuid.uuid4())})
    conversation_id = int(url.rsplit("/", 1)[1])
    inbox = socket_of(carlos, "inbox")
    try:
        say(signed_in(live_server.url, "aisha@example.com"), f"/portal/messages/{conversation_id}", "Thanks!")
        pushed = receive(inbox, f'id="conversation-{conversation_id}"', 'id="inbox-badge"')
        assert "afterbegin:#conversation-list" in pushed and ">New<" in pushed
    finally:
        inbox.close()


def test_it_sends_a_user_only_what_they_may_see(live_server, people):
    people.workspace.communication_mode = ASSIGNED_ONLY
    db.session.commit()
    carlos = signed_in(live_server.url, "carlos@brunswick.example")
    _, _, url = carlos.post("/inbox/compose", {"client": people.aisha.id, "body": "Just between us",
                                               "request_key": str(uuid.uuid4())})
    hidden_id = int(url.rsplit("/", 1)[1])
    priya = signed_in(live_server.url, "priya@brunswick.example")
    watcher = socket_of(priya, f"conversation-{hidden_id},inbox")
    try:
        say(carlos, f"/inbox/{hidden_id}", "Private follow-up")
        owner = signed_in(live_server.url, "owner@brunswick.example")
        owner.post("/inbox/compose", {"client": people.aisha.id, "body": "Practice news",
                                      "request_key": str(uuid.uuid4())})
        _, _, url = owner.post("/inbox/compose", {"client": people.aisha.id, "body": "x",
                                                  "request_key": str(uuid.uuid4())})
        # Priya sees nothing of Carlos's conversation; the first thing she may see is the inbox badge of her own.
        frames = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            frame = watcher.receive(timeout=0.5)
            if frame:
                frames.append(frame)
        assert not any("Private follow-up" in f or "Just between us" in f or f"conversation-{hidden_id}" in f
                       for f in frames)
    finally:
        watcher.close()


@pytest.mark.parametrize("origin", ["http://evil.example", "null"])
def test_it_refuses_a_socket_from_another_site(live_server, people, origin):
    aisha = signed_in(live_server.url, "aisha@example.com")
    with pytest.raises(HandshakeRefused) as refused:
        socket_of(aisha, origin=origin)
    assert refused.value.status_code == 403


def test_it_refuses_a_socket_without_a_session(live_server, people):
    with pytest.raises(HandshakeRefused) as refused:
        socket_of(HttpVisitor(live_server.url))
    assert refused.value.status_code == 401


def test_it_stops_pushing_after_logout(live_server, people):
    aisha = signed_in(live_server.url, "aisha@example.com")
    cookie = aisha.cookie_header()
    aisha.post("/logout", {})
    url = live_server.url.replace("http://", "ws://") + "/live"
    with pytest.raises(HandshakeRefused) as refused:
        Client.connect(url, headers={"Cookie": cookie, "Origin": live_server.url})
    assert refused.value.status_code == 401


def test_a_message_posted_to_one_process_reaches_a_socket_on_another(redis_url, environment, people):
    port_a, port_b = free_port(), free_port()
    environment.setenv("PORCH_BASE_URL", f"http://127.0.0.1:{port_a}")
    a, b = (start_gunicorn(port, "--worker-class", "gthread", "--threads", "8") for port in (port_a, port_b))
    try:
        carlos = signed_in(f"http://127.0.0.1:{port_a}", "carlos@brunswick.example")
        _, _, url = carlos.post("/inbox/compose", {"client": people.aisha.id, "body": "Hello",
                                                   "request_key": str(uuid.uuid4())})
        conversation_id = int(url.rsplit("/", 1)[1])
        aisha = signed_in(f"http://127.0.0.1:{port_b}", "aisha@example.com")
        # Both processes serve one public site (PORCH_BASE_URL), as behind a load balancer.
        socket = socket_of(aisha, f"conversation-{conversation_id}", origin=f"http://127.0.0.1:{port_a}")
        try:
            say(carlos, f"/inbox/{conversation_id}", "Sent through process A")
            assert "Sent through process A" in receive(socket, "Sent through process A")
        finally:
            socket.close()
    finally:
        for server in (a, b):
            stop_gunicorn(server)


def test_it_closes_cleanly_when_the_client_goes(live_server, people):
    socket = socket_of(signed_in(live_server.url, "aisha@example.com"))
    socket.close()
    with pytest.raises(ConnectionClosed):
        socket.send("anything")


def test_it_greets_a_new_socket_with_the_current_badges(live_server, people):
    carlos = signed_in(live_server.url, "carlos@brunswick.example")
    carlos.post("/inbox/compose", {"client": people.aisha.id, "body": "Unread until opened",
                                   "request_key": str(uuid.uuid4())})
    aisha = signed_in(live_server.url, "aisha@example.com")
    url = live_server.url.replace("http://", "ws://") + "/live?topics=home"
    socket = Client.connect(url, headers={"Cookie": aisha.cookie_header(), "Origin": live_server.url})
    try:
        first = socket.receive(timeout=10)
        assert 'id="messages-badge"' in first and 'hx-swap-oob="true"' in first
        assert "1<span class=\"sr-only\"> unread</span>" in first
    finally:
        socket.close()


def closed_within(socket: Client, seconds: float) -> tuple[str, int]:
    """What a socket received until the server closed it, and the close code; fails if it is still open."""
    deadline = time.monotonic() + seconds
    pushed = ""
    while time.monotonic() < deadline:
        try:
            pushed += socket.receive(timeout=max(0.1, deadline - time.monotonic())) or ""
        except ConnectionClosed as closed:
            return pushed, closed.reason
    pytest.fail(f"the socket was still open {seconds} s later")


def compose(visitor: HttpVisitor, client_id: int, body: str) -> int:
    _, _, url = visitor.post("/inbox/compose", {"client": client_id, "body": body,
                                                   "request_key": str(uuid.uuid4())})
    return int(url.rsplit("/", 1)[1])


def test_it_closes_a_socket_when_its_session_signs_out(live_server, people):
    carlos = signed_in(live_server.url, "carlos@brunswick.example")
    conversation_id = compose(carlos, people.aisha.id, "Hello")
    socket = socket_of(carlos, f"conversation-{conversation_id},inbox")
    carlos.post("/logout", {})
    say(signed_in(live_server.url, "aisha@example.com"), f"/portal/messages/{conversation_id}", "After he left")
    pushed, code = closed_within(socket, 3)
    assert code == 1008
    assert "After he left" not in pushed


def test_it_keeps_the_sockets_of_other_devices_open_after_one_signs_out(live_server, people):
    laptop = signed_in(live_server.url, "carlos@brunswick.example")
    phone = signed_in(live_server.url, "carlos@brunswick.example")
    conversation_id = compose(laptop, people.aisha.id, "Hello")
    on_phone = socket_of(phone, f"conversation-{conversation_id}")
    try:
        laptop.post("/logout", {})
        say(signed_in(live_server.url, "aisha@example.com"), f"/portal/messages/{conversation_id}", "Still here")
        assert "Still here" in receive(on_phone, "Still here")
    finally:
        on_phone.close()


def test_it_closes_the_clients_sockets_when_her_password_is_reset(live_server, smtp_server, people):
    socket = socket_of(signed_in(live_server.url, "aisha@example.com"), "home")
    HttpVisitor(live_server.url).post("/password/forgot", {"email": "aisha@example.com"})
    mail = wait_until(lambda: smtp_server.to("aisha@example.com"), "the reset e-mail")[-1]
    link = link_in(mail).removeprefix(live_server.url)
    status, page, landed = HttpVisitor(live_server.url).post(link, {"password": "a quiet harbour at dawn",
                                                               "confirm": "a quiet harbour at dawn"})
    assert status == 200 and landed.endswith("/portal"), page
    assert closed_within(socket, 3)[1] == 1008


def test_it_closes_the_clients_sockets_when_her_portal_is_disabled(live_server, people):
    socket = socket_of(signed_in(live_server.url, "aisha@example.com"), "home")
    owner = signed_in(live_server.url, "owner@brunswick.example")
    status, page, _ = owner.post(f"/clients/{people.aisha.id}/portal/disable", {})
    assert status == 200, page
    assert closed_within(socket, 3)[1] == 1008


def test_a_sign_out_on_one_process_closes_a_socket_on_another(redis_url, environment, people):
    port_a, port_b = free_port(), free_port()
    environment.setenv("PORCH_BASE_URL", f"http://127.0.0.1:{port_a}")
    a, b = (start_gunicorn(port, "--worker-class", "gthread", "--threads", "8") for port in (port_a, port_b))
    try:
        carlos = signed_in(f"http://127.0.0.1:{port_a}", "carlos@brunswick.example")
        conversation_id = compose(carlos, people.aisha.id, "Hello")
        socket = socket_of(carlos, f"conversation-{conversation_id}", server=f"http://127.0.0.1:{port_b}")
        try:
            carlos.post("/logout", {})
            assert closed_within(socket, 3)[1] == 1008
        finally:
            with suppress(ConnectionClosed):
                socket.close()
    finally:
        for server in (a, b):
            stop_gunicorn(server)


def test_it_pushes_the_readers_badges_and_row_once_their_open_page_saw_a_message(live_server, people):
    carlos = signed_in(live_server.url, "carlos@brunswick.example")
    _, _, url = carlos.post("/inbox/compose", {"client": people.aisha.id, "body": "First note",
                                               "request_key": str(uuid.uuid4())})
    conversation_id = int(url.rsplit("/", 1)[1])
    aisha = signed_in(live_server.url, "aisha@example.com")
    aisha.get(f"/portal/messages/{conversation_id}")
    listening = socket_of(aisha, "messages")
    try:
        say(carlos, f"/inbox/{conversation_id}", "Are you free on Thursday?")
        receive(listening, '<span id="messages-badge" class="badge" hx-swap-oob="true"><span class="sr-only">')
        status, _, _ = aisha.post(f"/portal/messages/{conversation_id}/seen", {})
        assert status == 204
        pushed = receive(listening, '<span id="messages-badge" class="badge" hx-swap-oob="true"></span>',
                         f'id="conversation-{conversation_id}"')
        assert ">New<" not in pushed.rsplit(f'id="conversation-{conversation_id}"', 1)[1]
    finally:
        listening.close()


def test_each_message_reaches_every_tab_of_a_client_on_both_processes_once_and_in_order(redis_url, environment,
                                                                                      people):
    """gevent workers (as served): two tabs on each process share one frame per process, written to both."""
    port_a, port_b = free_port(), free_port()
    environment.setenv("PORCH_BASE_URL", f"http://127.0.0.1:{port_a}")
    servers = [start_gunicorn(port, "--worker-class", "gevent", "--workers", "1") for port in (port_a, port_b)]
    try:
        carlos = signed_in(f"http://127.0.0.1:{port_a}", "carlos@brunswick.example")
        _, _, url = carlos.post("/inbox/compose", {"client": people.aisha.id, "body": "Hello",
                                                   "request_key": str(uuid.uuid4())})
        conversation_id = int(url.rsplit("/", 1)[1])
        aisha = signed_in(f"http://127.0.0.1:{port_a}", "aisha@example.com")
        tabs = [socket_of(aisha, f"conversation-{conversation_id}", server=f"http://127.0.0.1:{port}")
                for port in (port_a, port_a, port_b, port_b)]
        try:
            said = [f"Message number {n} of five" for n in range(1, 6)]
            for text in said:
                say(carlos, f"/inbox/{conversation_id}", text)
            for tab in tabs:
                pushed = receive(tab, *said)
                assert [pushed.count(text) for text in said] == [1] * 5
                assert [pushed.index(text) for text in said] == sorted(pushed.index(text) for text in said)
        finally:
            for tab in tabs:
                tab.close()
    finally:
        for server in servers:
            stop_gunicorn(server)
