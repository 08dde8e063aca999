"""A worker killed after the mail server took the e-mail, before it recorded so: the retry mails the same link,
and the link the person already has keeps working."""

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app import clock
from app.auth.models import PasswordReset
from app.auth.resets import request_password_reset
from app.clients.invites import portal_status, send_portal_invite
from app.clients.models import PortalInvite
from app.db import db
from jobs.delivery import CLAIM_LEASE
from jobs.sweeps import run_sweeps
from tests.conftest import PASSWORD, ROOT, Visitor, link_in, wait_until


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def kill_the_worker_mid_send(smtp_server, redis_url: str, address: str) -> None:
    """Start a stock `rq worker`, hold the SMTP server's 250 until the mail is in, then SIGKILL the worker and
    the work horse running the job (RQ puts the horse in a session of its own)."""
    smtp_server.held = threading.Event()
    worker = subprocess.Popen([str(Path(sys.executable).parent / "rq"), "worker", "--burst", "--with-scheduler",
                               "--url", redis_url], cwd=ROOT, env={**os.environ}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: smtp_server.to(address), "the worker to hand the e-mail over", seconds=60)
        for pid in [*children_of(worker.pid), worker.pid]:
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
        smtp_server.held.set()


def after_the_lease() -> None:
    clock.freeze(clock.now() + CLAIM_LEASE + timedelta(minutes=1))


def test_it_keeps_the_first_invite_link_working_after_the_worker_dies_mid_send(redis_url, smtp_server, practice,
                                                                                app, visitor):
    send_portal_invite(practice.aisha, sent_by=practice.carlos)
    db.session.commit()
    kill_the_worker_mid_send(smtp_server, redis_url, "aisha@example.com")
    db.session.expire_all()
    assert db.session.scalar(select(PortalInvite.sent_at)) is None  # the worker died before recording it
    after_the_lease()
    run_sweeps()
    first, second = smtp_server.to("aisha@example.com")
    assert link_in(first) == link_in(second)
    db.session.expire_all()
    assert db.session.scalar(select(PortalInvite.attempts)) == 2
    token = link_in(first).rsplit("/", 1)[1]
    response = visitor.post(f"/invite/{token}", {"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303
    assert portal_status(practice.aisha).state == "active"


def test_it_keeps_the_first_reset_link_working_after_the_worker_dies_mid_send(redis_url, smtp_server, practice,
                                                                               app, visitor):
    request_password_reset(practice.carlos.email)
    db.session.commit()
    kill_the_worker_mid_send(smtp_server, redis_url, practice.carlos.email)
    after_the_lease()
    run_sweeps()
    first, second = smtp_server.to(practice.carlos.email)
    assert link_in(first) == link_in(second)
    token = link_in(first).rsplit("/", 1)[1]
    new_password = "staple-orbit-lantern-2026"
    response = visitor.post(f"/password/reset/{token}", {"password": new_password, "confirm": new_password})
    assert response.headers["Location"] == "/clients"
    db.session.expire_all()
    assert db.session.scalar(select(PasswordReset.used_at)) is not None
    Visitor(app.test_client()).login(practice.carlos.email, new_password)
