"""The mail server defers everything for a while: the worker keeps the mail owed, the sweep of `rq cron` retries it
after its back-off, and once the server recovers each mail arrives exactly once."""

from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.auth.models import PasswordReset
from app.db import db
from app.queue import enqueue
from tests.conftest import HttpVisitor, free_port, start_gunicorn, stop_gunicorn, wait_until


def _reset_row() -> PasswordReset | None:
    db.session.commit()  # a fresh look at what the other processes wrote
    return db.session.scalars(select(PasswordReset)).first()


def test_mail_deferred_by_the_server_is_retried_and_delivered_once(private_redis, processes, smtp_server, practice,
                                                                  environment, app):
    smtp_server.deferring_until = clock.now() + timedelta(days=1)  # every RCPT answered "451 try again later"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment.setenv("PORCH_BASE_URL", base)
    web = start_gunicorn(port, "--workers", "2")
    try:
        processes.start("rq", "worker", "--with-scheduler", "--url", private_redis.url)
        processes.start("rq", "cron", "jobs.cron", "--url", private_redis.url)

        status, page, url = HttpVisitor(base).post("/password/forgot", {"email": "carlos@brunswick.example"})
        assert url.endswith("/password/forgot/sent"), page

        deferred = wait_until(lambda: (row := _reset_row()) is not None and row.next_attempt_at is not None and row,
                              "the worker to meet the deferral and plan the next try", seconds=30)
        assert deferred.sent_at is None and deferred.failed_at is None
        assert deferred.attempts == 1
        assert smtp_server.to("carlos@brunswick.example") == []

        smtp_server.deferring_until = None  # the server recovers
        # the next try is due a minute after the first; rq cron's sweep (every 60 s) picks it up
        wait_until(lambda: smtp_server.to("carlos@brunswick.example"), "the retried mail to arrive", seconds=180,
                   pause=1)
        sent = wait_until(lambda: (row := _reset_row()).sent_at is not None and row, "the row marked sent")
        assert sent.attempts == 2

        # more sweeps, and the job queued again by hand: nothing is sent a second time
        with app.test_request_context():
            enqueue("jobs.sweeps.run_sweeps")
            enqueue("jobs.passwords.send_password_reset_email", sent.id)
            db.session.commit()
        wait_until(lambda: private_redis_queue_is_empty(private_redis.url), "the worker to run the queued jobs",
                   seconds=90, pause=1)
        assert len(smtp_server.to("carlos@brunswick.example")) == 1, processes.logs()
    finally:
        stop_gunicorn(web)


def private_redis_queue_is_empty(url: str) -> bool:
    from redis import Redis
    from rq import Queue
    from rq.registry import StartedJobRegistry

    from app.queue import QUEUE_NAME

    connection = Redis.from_url(url)
    queue = Queue(QUEUE_NAME, connection=connection)
    return queue.count == 0 and StartedJobRegistry(QUEUE_NAME, connection=connection).count == 0
