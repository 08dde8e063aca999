"""Live updates: publish(channel, html) fans a rendered fragment out to every socket listening on the channel.

Published fragments are handed over after the transaction commits (like jobs), so a socket never shows what
the database does not hold. With REDIS_URL the fan-out goes through Redis pub/sub, one listener thread per
process (started on first use, so after any fork); without it, in-process.
"""

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from redis import Redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.db import db

log = logging.getLogger(__name__)

PREFIX = "porch:live:"
MAX_QUEUED = 100
RECONNECT_SECONDS = 1
SUBSCRIBE_WAIT_SECONDS = 1


def publish(channel: str, html: str) -> None:
    """Send `html` (out-of-band fragments) to every socket on `channel` once the transaction commits."""
    db.session().info.setdefault("porch.live", []).append((channel, html))


@event.listens_for(Session, "after_commit")
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


class Inbox(queue.Queue):
    """One socket's waiting (channel, html) pairs. `missed` says an update never reached it (it was full, or Redis
    was lost): the socket then closes, and its page catches up."""

    def __init__(self):
        super().__init__(maxsize=MAX_QUEUED)
        self.missed = False


class LocalHub:
    """Fan-out inside one process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._listeners: dict[str, set[Inbox]] = defaultdict(set)

    def is_live(self) -> bool:
        """Whether a socket opened now would get every update: always, inside one process."""
        return True

    def send(self, channel: str, html: str) -> None:
        self.deliver(channel, html)

    def send_all(self, published: list[tuple[str, str]]) -> None:
        for channel, html in published:
            self.send(channel, html)

    def deliver(self, channel: str, html: str) -> None:
        with self._lock:
            listeners = list(self._listeners.get(channel, ()))
        for inbox in listeners:
            try:
                inbox.put_nowait((channel, html))
            except queue.Full:
                inbox.missed = True
                log.warning("a live socket is not keeping up; dropping an update for it")

    def miss_all(self) -> None:
        """Every socket of this process missed updates: each closes so that its page catches up."""
        with self._lock:
            inboxes = {inbox for listeners in self._listeners.values() for inbox in listeners}
        for inbox in inboxes:
            inbox.missed = True

    @contextmanager
    def listening(self, channels: list[str]) -> Iterator[Inbox]:
        inbox = Inbox()
        with self._lock:
            for channel in channels:
                self._listeners[channel].add(inbox)
        try:
            yield inbox
        finally:
            with self._lock:
                for channel in channels:
                    self._listeners[channel].discard(inbox)
                    if not self._listeners[channel]:
                        del self._listeners[channel]


class RedisHub(LocalHub):
    """Fan-out across processes: publish to Redis; one thread per process hands messages to local sockets."""

    def __init__(self, url: str):
        super().__init__()
        self.redis = Redis.from_url(url)
        self._listener: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._subscribed = threading.Event()

    def is_live(self) -> bool:
        """Whether this process hears what the others publish: not while Redis is down (the pages poll then)."""
        self._start_listener()
        return self._subscribed.wait(SUBSCRIBE_WAIT_SECONDS)

    def send(self, channel: str, html: str) -> None:
        self.send_all([(channel, html)])

    def send_all(self, published: list[tuple[str, str]]) -> None:
        """In one round trip: a batch of closes publishes thousands. If Redis refuses them, no socket gets them:
        this process's sockets close at once so that their pages catch up (the others' lose Redis too)."""
        pipeline = self.redis.pipeline(transaction=False)
        for channel, html in published:
            pipeline.publish(PREFIX + channel, html)
        try:
            pipeline.execute()
        except Exception:
            self.miss_all()
            raise

    @contextmanager
    def listening(self, channels: list[str]) -> Iterator[Inbox]:
        self._start_listener()
        with super().listening(channels) as inbox:
            yield inbox

    def _start_listener(self) -> None:
        with self._start_lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(target=self._listen, name="porch-live", daemon=True)
                self._listener.start()

    def _listen(self) -> None:
        while True:
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(PREFIX + "*")
                self._subscribed.set()
                for message in pubsub.listen():
                    channel = message["channel"].decode()[len(PREFIX):]
                    self.deliver(channel, message["data"].decode())
            except Exception:
                # What was published meanwhile is gone: every socket closes, its page polls until one opens again.
                self._subscribed.clear()
                self.miss_all()
                log.warning("lost the Redis live-update subscription; reconnecting")
                time.sleep(RECONNECT_SECONDS)


def init_app(app: Flask) -> None:
    app.extensions["porch.hub"] = RedisHub(app.config["REDIS_URL"]) if app.config["REDIS_URL"] else LocalHub()
