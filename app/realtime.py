"""Live updates: publish(channel, html) fans a rendered fragment out to every socket listening on the channel.

Published fragments are handed over after the transaction commits (like jobs, but before them), so a socket never
shows what the database does not hold. Everything one commit published travels as one bundle: with REDIS_URL as one
Redis pub/sub message, read by one listener thread per process (started on first use, so after any fork); without
it, in-process. Sockets that listen on the same channels (the tabs of one person on the same kind of page) form a
group: a bundle is turned into one WebSocket frame per group, and the same bytes are written to each of its sockets.
"""

import json
import logging
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from gevent.socket import socket as GeventSocket
from redis import Redis
from sqlalchemy import event
from sqlalchemy.orm import Session
from wsproto.frame_protocol import FrameProtocol

from app.db import db

log = logging.getLogger(__name__)

CHANNEL = "porch:live"
MAX_QUEUED = 100
RECONNECT_SECONDS = 1
SUBSCRIBE_WAIT_SECONDS = 1
WRITES_BEFORE_YIELDING = 1000  # a fan-out to many thousands of sockets lets the process's requests run now and then


def publish(channel: str, html: str) -> None:
    """Send `html` (out-of-band fragments) to every socket on `channel` once the transaction commits."""
    db.session().info.setdefault("porch.live", []).append((channel, html))


@event.listens_for(Session, "after_commit", insert=True)  # before the jobs: the pushes are what a person waits for
def _hand_over(session: Session) -> None:
    published = session.info.pop("porch.live", [])
    if not published:
        return
    try:
        current_app.extensions["porch.hub"].send_all(published)
    except Exception:
        log.exception("could not publish live updates; clients will catch up on their next poll")


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop("porch.live", None)


def text_frame(html: str) -> bytes:
    """A server's WebSocket text frame: built once for every socket it goes to, never compressed (so any socket,
    with or without permessage-deflate, can take the same bytes, and none holds a compressor)."""
    return bytes(FrameProtocol(client=False, extensions=[]).send_data(html, fin=True))


class Listener:
    """One open socket's place in the fan-out.

    A frame is written straight to the socket when the kernel takes it at once and nothing waits before it; else it
    is queued, in order, for the socket's own thread to write (`flush`). The socket's other writes (greeting,
    pings, pongs, the close) go through `send`, behind what is queued, so no two frames ever interleave.
    """

    def __init__(self, sock: socket.socket, alerts: Iterable[str] = ()):
        self.sock = sock
        self.alerts = frozenset(alerts)
        self.alerted = False  # a channel in `alerts` had news: the socket's thread should look (e.g. signed out)
        self.missed = False  # an update never reached it (too many were queued, or Redis was lost): it closes
        self.stopped = False
        self._queued: deque[bytes] = deque()
        self._writing = threading.Lock()
        self._woken = threading.Event()
        self._gevent = isinstance(sock, GeventSocket)
        self._direct = self._gevent or sock.gettimeout() is None

    def offer(self, frame: bytes | None, alert: bool = False) -> None:
        """Called by the hub for each bundle that concerns this socket; never waits."""
        if alert:
            self.alerted = True
            self._woken.set()
        if frame is None or self.stopped:
            return
        if len(self._queued) >= MAX_QUEUED:
            self.miss()
            log.warning("a live socket is not keeping up; dropping an update for it")
            return
        if self._direct and not self._queued and not self.alerted and self._writing.acquire(blocking=False):
            try:
                written = self._write_now(frame)
            except OSError:
                self.stopped = True  # gone: its own thread sees the socket closed and leaves
                return
            finally:
                self._writing.release()
            if written == len(frame):
                return
            frame = frame[written:]
        self._queued.append(frame)
        self._woken.set()

    def miss(self) -> None:
        """An update never reached this socket: its thread closes it, so that the page catches up."""
        self.missed = True
        self._woken.set()

    def _write_now(self, frame: bytes) -> int:
        try:
            if self._gevent:
                return self.sock.send(frame, 0, 0.0)  # gevent's socket waits for room unless told not to
            return self.sock.send(frame, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return 0

    def send(self, data: bytes) -> int:
        """Write `data` after everything queued before it (the socket's own thread, which may wait)."""
        with self._writing:
            self._flush()
            self.sock.sendall(data)
        return len(data)

    def wait(self, seconds: float) -> None:
        """Until something was queued or alerted, or `seconds` passed; then write what is queued (unless alerted)."""
        self._woken.wait(seconds)
        self._woken.clear()
        self.flush()

    def flush(self) -> None:
        with self._writing:
            self._flush()

    def _flush(self) -> None:
        """While alerted, frames wait: the socket's thread decides first (a signed-out socket gets none of them)."""
        while self._queued and not self.stopped and not self.alerted:
            self.sock.sendall(self._queued.popleft())


class _Group:
    """The sockets that listen on the same channels: they are sent the same frame."""

    def __init__(self, channels: tuple[str, ...], alerts: frozenset[str]):
        self.channels = channels
        self.alerts = alerts
        self.listeners: set[Listener] = set()


class LocalHub:
    """Fan-out inside one process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._groups: dict[tuple, _Group] = {}
        self._by_channel: dict[str, set[_Group]] = defaultdict(set)

    def is_live(self) -> bool:
        """Whether a socket opened now would get every update: always, inside one process."""
        return True

    def send(self, channel: str, html: str) -> None:
        self.send_all([(channel, html)])

    def send_all(self, published: list[tuple[str, str]]) -> None:
        self.deliver(published)

    def deliver(self, published: list[tuple[str, str]]) -> None:
        """One frame per group that listens on any of the bundle's channels, with its fragments in published order."""
        with self._lock:
            touched: dict[_Group, list[tuple[str, str]]] = {}
            for channel, html in published:
                for group in self._by_channel.get(channel, ()):
                    touched.setdefault(group, []).append((channel, html))
            sends = [(group, pairs, list(group.listeners)) for group, pairs in touched.items()]
        written = 0
        for group, pairs, listeners in sends:
            fragments = "".join(html for channel, html in pairs if channel not in group.alerts)
            frame = text_frame(fragments) if fragments else None
            alert = any(channel in group.alerts for channel, _ in pairs)
            for listener in listeners:
                listener.offer(frame, alert)
                written += 1
                if written % WRITES_BEFORE_YIELDING == 0:
                    time.sleep(0)

    def miss_all(self) -> None:
        """Every socket of this process missed updates: each closes so that its page catches up."""
        with self._lock:
            listeners = [listener for group in self._groups.values() for listener in group.listeners]
        for listener in listeners:
            listener.miss()

    @contextmanager
    def listening(self, channels: list[str], sock: socket.socket, alerts: Iterable[str] = ()) -> Iterator[Listener]:
        listener = Listener(sock, alerts)
        key = (tuple(channels), listener.alerts)
        with self._lock:
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = _Group(*key)
                for channel in channels:
                    self._by_channel[channel].add(group)
            group.listeners.add(listener)
        try:
            yield listener
        finally:
            listener.stopped = True
            with self._lock:
                group.listeners.discard(listener)
                if not group.listeners:
                    del self._groups[key]
                    for channel in channels:
                        self._by_channel[channel].discard(group)
                        if not self._by_channel[channel]:
                            del self._by_channel[channel]


class RedisHub(LocalHub):
    """Fan-out across processes: publish each commit's bundle to Redis; one thread per process hands it on."""

    def __init__(self, url: str):
        super().__init__()
        self.redis = Redis.from_url(url)
        self._listener: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._subscribed = threading.Event()

    def is_live(self) -> bool:
        """Whether this process hears what the others publish: not while Redis is down (the pages poll then), nor
        before Redis confirmed the subscription (what is published once a socket was greeted must reach it)."""
        self._start_listener()
        return self._subscribed.wait(SUBSCRIBE_WAIT_SECONDS)

    def send_all(self, published: list[tuple[str, str]]) -> None:
        """One message, however many fragments: a batch of closes publishes thousands. If Redis refuses it, no
        socket gets it: this process's sockets close at once so that their pages catch up (the others' lose Redis
        too).

        Then a pause, so that this process's listener hands the bundle to its sockets before the request goes on
        to render its answer (under gevent nothing else runs until the request waits for something).
        """
        try:
            self.redis.publish(CHANNEL, json.dumps(published))
        except Exception:
            self.miss_all()
            raise
        time.sleep(0)

    @contextmanager
    def listening(self, channels: list[str], sock: socket.socket, alerts: Iterable[str] = ()) -> Iterator[Listener]:
        self._start_listener()
        with super().listening(channels, sock, alerts) as listener:
            yield listener

    def _start_listener(self) -> None:
        with self._start_lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(target=self._listen, name="porch-live", daemon=True)
                self._listener.start()

    def _listen(self) -> None:
        while True:
            try:
                pubsub = self.redis.pubsub()
                pubsub.subscribe(CHANNEL)
                for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        self._subscribed.set()
                    elif message["type"] == "message":
                        self.deliver([tuple(pair) for pair in json.loads(message["data"])])
            except Exception:
                # What was published meanwhile is gone: every socket closes, its page polls until one opens again.
                self._subscribed.clear()
                self.miss_all()
                log.warning("lost the Redis live-update subscription; reconnecting")
                time.sleep(RECONNECT_SECONDS)


def init_app(app: Flask) -> None:
    app.extensions["porch.hub"] = RedisHub(app.config["REDIS_URL"]) if app.config["REDIS_URL"] else LocalHub()
