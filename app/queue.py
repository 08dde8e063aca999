"""Background work. Domain code calls enqueue()/enqueue_at(); the adapter chosen at start-up runs it.

Jobs are named by their dotted path ("jobs.invites.send_invite_email"), so the features never import
the jobs that import them back; RQ takes the same names. Jobs are handed over only after the current
transaction commits, so a job never reads a row that is not there yet, and a rolled-back request
enqueues nothing. The queue is a nudge for promptness: the periodic sweep (named by the
PORCH_SWEEPS setting) redoes whatever it drops.
"""

import heapq
import itertools
import logging
import os
import threading
from datetime import datetime, timedelta

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry
from rq.utils import import_attribute
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import clock
from app.db import db

log = logging.getLogger(__name__)

RETRY_INTERVALS = [30, 120, 600, 1800, 3600]
QUEUE_NAME = "default"
SWEEP_INTERVAL = timedelta(seconds=60)


def enqueue(job: str, *args) -> None:
    """Run the job named `job` (a dotted path) with `args` as soon as the current transaction commits."""
    _pending(db.session()).append((None, job, args))


def enqueue_at(when: datetime, job: str, *args) -> None:
    _pending(db.session()).append((when, job, args))


def enqueue_in(delay: timedelta, job: str, *args) -> None:
    enqueue_at(clock.now() + delay, job, *args)


def _pending(session: Session) -> list:
    return session.info.setdefault("porch.jobs", [])


@event.listens_for(Session, "after_commit")
def _hand_over_jobs(session: Session) -> None:
    jobs = session.info.pop("porch.jobs", [])
    for when, job, args in jobs:
        try:
            current_app.extensions["porch.queue"].submit(when, job, args)
        except Exception:
            log.exception("could not enqueue %s; the next sweep will pick the work up", job)


@event.listens_for(Session, "after_rollback")
def _drop_jobs(session: Session) -> None:
    session.info.pop("porch.jobs", None)


class RedisQueue:
    """RQ on Redis, run by `rq worker --with-scheduler` (and `rq cron jobs.cron` for the sweeps)."""

    def __init__(self, url: str):
        self.redis = Redis.from_url(url)
        self.queue = Queue(QUEUE_NAME, connection=self.redis)

    def submit(self, when: datetime | None, job: str, args: tuple) -> None:
        retry = Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)
        if when is None:
            self.queue.enqueue(job, *args, retry=retry)
        else:
            self.queue.enqueue_at(when, job, *args, retry=retry)


class InProcessQueue:
    """The embedded run's queue: a thread runs due jobs, scheduled ones included, and the sweeps."""

    TICK_SECONDS = 0.5

    def __init__(self, app: Flask):
        self.app = app
        self._heap: list = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def submit(self, when: datetime | None, job: str, args: tuple, attempt: int = 0) -> None:
        with self._wake:
            heapq.heappush(self._heap, (when or clock.now(), next(self._order), job, args, attempt))
            self._wake.notify()

    def pending(self) -> int:
        return len(self._heap)

    def run_due(self) -> int:
        """Run every job that is due now; returns how many ran."""
        ran = 0
        while (job := self._pop_due()) is not None:
            self._run(*job)
            ran += 1
        return ran

    def _pop_due(self):
        with self._wake:
            if self._heap and self._heap[0][0] <= clock.now():
                return heapq.heappop(self._heap)
        return None

    def _run(self, when, order, job, args, attempt) -> None:
        try:
            with self.app.app_context():
                import_attribute(job)(*args)
        except Exception:
            if attempt < len(RETRY_INTERVALS):
                log.warning("job %s failed; retrying in %ss", job, RETRY_INTERVALS[attempt])
                delay = timedelta(seconds=RETRY_INTERVALS[attempt])
                self.submit(clock.now() + delay, job, args, attempt + 1)
            else:
                log.exception("job %s failed for good; the sweep will try again", job)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="porch-jobs", daemon=True)
            self._thread.start()
            log.info("embedded job runner started in process %d", os.getpid())

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        sweep = self.app.config["PORCH_SWEEPS"]
        next_sweep = clock.now()
        while not self._stopping:
            if clock.now() >= next_sweep:
                self._run(None, 0, sweep, (), len(RETRY_INTERVALS))
                next_sweep = clock.now() + SWEEP_INTERVAL
            self.run_due()
            with self._wake:
                if not self._stopping:
                    self._wake.wait(self.TICK_SECONDS)


def init_app(app: Flask) -> None:
    if app.config["REDIS_URL"]:
        app.extensions["porch.queue"] = RedisQueue(app.config["REDIS_URL"])
    else:
        app.extensions["porch.queue"] = InProcessQueue(app)


def start_in_process_jobs(app: Flask) -> None:
    """Start the embedded run's job thread, if this process runs jobs in-process (no REDIS_URL)."""
    runner = app.extensions["porch.queue"]
    if isinstance(runner, InProcessQueue) and app.config["PORCH_RUN_JOBS"]:
        runner.start()
