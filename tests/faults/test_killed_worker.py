"""SIGKILL the RQ worker mid-job, with `rq cron` running: after the claim's lease the sweep hands the job to the
worker started in its place, and the e-mail arrives exactly once."""

import os
import signal
import threading

from sqlalchemy import select

from app.auth.models import PasswordReset
from app.db import db
from tests.conftest import HttpVisitor, free_port, start_gunicorn, stop_gunicorn, wait_until
from tests.jobs.test_killed_worker import children_of

LEASE_SECONDS = 15


def hold_before_the_mail_is_handed_over(mailbox) -> tuple[threading.Event, threading.Event]:
    """Make the SMTP server keep its answer to RCPT back until `release` is set; `reached` is set on arrival."""
    import asyncio

    reached, release = threading.Event(), threading.Event()
    accept = type(mailbox).handle_RCPT

    async def handle_RCPT(server, session, envelope, address, rcpt_options):
        reached.set()
        while not release.is_set():
            await asyncio.sleep(0.05)
        return await accept(mailbox, server, session, envelope, address, rcpt_options)

    mailbox.handle_RCPT = handle_RCPT
    return reached, release


def test_a_worker_killed_mid_job_has_its_mail_sent_once_by_the_sweep(private_redis, processes, smtp_server,
                                                                     practice, environment, app):
    environment.setenv("PORCH_MAIL_CLAIM_LEASE_SECONDS", str(LEASE_SECONDS))
    reached, release = hold_before_the_mail_is_handed_over(smtp_server)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment.setenv("PORCH_BASE_URL", base)
    web = start_gunicorn(port, "--workers", "2")
    try:
        worker = processes.start("rq", "worker", "--with-scheduler", "--url", private_redis.url)
        status, page, url = HttpVisitor(base).post("/password/forgot", {"email": "carlos@brunswick.example"})
        assert url.endswith("/password/forgot/sent"), page

        assert reached.wait(timeout=60), processes.logs()  # the work horse is in the middle of the send
        for pid in [*children_of(worker.pid), worker.pid]:
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
        release.set()
        db.session.commit()
        row = db.session.scalars(select(PasswordReset)).one()
        assert row.sent_at is None and row.attempts == 1 and row.claimed_until is not None
        assert smtp_server.to("carlos@brunswick.example") == []

        processes.start("rq", "worker", "--with-scheduler", "--url", private_redis.url)
        processes.start("rq", "cron", "jobs.cron", "--url", private_redis.url)
        [mail] = wait_until(lambda: smtp_server.to("carlos@brunswick.example"), "the sweep to redo the send",
                            seconds=LEASE_SECONDS + 150, pause=1)
        db.session.commit()
        wait_until(lambda: db.session.commit() or db.session.scalars(select(PasswordReset.sent_at)).one(),
                   "the send recorded")
        assert db.session.scalars(select(PasswordReset.attempts)).one() == 2
        # one more sweep round (60 s) finds nothing owed: still one mail
        wait_until(lambda: processes.logs().count("run_sweeps") >= 4, "two more sweeps", seconds=150, pause=1)
        assert len(smtp_server.to("carlos@brunswick.example")) == 1, processes.logs()
    finally:
        release.set()
        stop_gunicorn(web)
