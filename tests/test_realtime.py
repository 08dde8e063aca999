"""The fan-out's writing to one socket, on a real socket pair: what the kernel cannot take at once waits, in order."""

import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from wsproto.frame_protocol import FrameDecoder

from app.realtime import LocalHub, text_frame


def frames_read(reader: socket.socket, count: int) -> list[str]:
    decoder, texts = FrameDecoder(client=True, extensions=[]), []
    reader.settimeout(10)
    while len(texts) < count:
        decoder.receive_bytes(reader.recv(65536))
        while (frame := decoder.process_buffer()) is not None:
            texts.append(bytes(frame.payload).decode())
    return texts


def test_it_writes_one_frame_per_bundle_to_each_socket_of_a_group():
    hub = LocalHub()
    pairs = [socket.socketpair() for _ in range(2)]
    with hub.listening(["user:1:badges", "user:1:inbox"], pairs[0][0]), \
            hub.listening(["user:1:badges", "user:1:inbox"], pairs[1][0]):
        hub.send_all([("user:1:inbox", "<tr>row</tr>"), ("user:2:inbox", "<tr>not hers</tr>"),
                      ("user:1:badges", "<b>2</b>")])
        assert [frames_read(reader, 1) for _, reader in pairs] == [["<tr>row</tr><b>2</b>"]] * 2


def test_it_queues_what_a_full_socket_cannot_take_and_writes_it_in_order_before_its_own_writes():
    server, client = socket.socketpair()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    hub = LocalHub()
    with hub.listening(["user:1:badges"], server) as listener:
        big = ["x" * 3000 + str(n) for n in range(20)]  # far more than the socket's buffers hold
        for text in big:
            hub.send("user:1:badges", text)
        assert not listener.missed
        with ThreadPoolExecutor(1) as reading:  # the other end reads while this one writes what waits
            read = reading.submit(frames_read, client, 21)
            listener.send(text_frame("the socket's own write"))  # as a ping would: after all that is queued
            assert read.result() == [*big, "the socket's own write"]


def test_it_drops_and_says_so_when_a_socket_falls_too_far_behind():
    server, _client = socket.socketpair()
    hub = LocalHub()
    with hub.listening(["user:1:badges"], server) as listener:
        for _ in range(2000):
            hub.send("user:1:badges", "y" * 4000)
        assert listener.missed


def test_it_holds_frames_back_from_a_socket_told_to_check_its_session_until_it_has():
    server, client = socket.socketpair()
    hub = LocalHub()
    with hub.listening(["user:1:badges", "sessions:1"], server, alerts=["sessions:1"]) as listener:
        hub.send_all([("sessions:1", "ended"), ("user:1:badges", "<b>1</b>")])
        assert listener.alerted
        client.setblocking(False)
        with pytest.raises(BlockingIOError):
            client.recv(1)  # nothing written yet, not even the alert itself
        listener.alerted = False  # still signed in, as the socket's thread found
        listener.flush()
        assert frames_read(client, 1) == ["<b>1</b>"]
