"""`make run-scaled`: migrations, then gunicorn (2 gevent workers), rq worker and rq cron; Ctrl-C stops them all."""

import os
import re
import signal
import subprocess
import sys
import threading

import pytest

from tests.conftest import ROOT, HttpVisitor, free_port, link_in, wait_until
from tests.test_make_run import _answers

STARTED = re.compile(r"run-scaled: started (\w+) \(pid (\d+)\)")


@pytest.fixture
def scaled(environment, database_url, redis_url, smtp_server):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    for name, value in {"PORT": str(port), "HOST": "127.0.0.1", "PORCH_BASE_URL": base}.items():
        environment.setenv(name, value)
    runner = subprocess.Popen([sys.executable, "run_scaled.py"], cwd=ROOT, env=dict(os.environ),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(line.decode() for line in runner.stdout), daemon=True)
    reader.start()
    try:
        wait_until(lambda: _answers(base + "/healthz") or runner.poll() is not None,
                   "run-scaled to answer /healthz", seconds=60)
        assert runner.poll() is None, "".join(output)
        yield base, runner, output
    finally:
        if runner.poll() is None:
            runner.send_signal(signal.SIGINT)
            runner.wait(timeout=30)
        reader.join(timeout=5)


def test_it_runs_the_web_worker_and_cron_and_stops_them_all_on_ctrl_c(scaled, smtp_server):
    base, runner, output = scaled
    started = dict(STARTED.findall("".join(output)))
    assert set(started) == {"web", "worker", "cron"}

    visitor = HttpVisitor(base)
    status, page, url = visitor.post("/password/forgot", {"email": "carlos@brunswick.example"})
    assert url.endswith("/password/forgot/sent"), page
    [mail] = wait_until(lambda: smtp_server.to("carlos@brunswick.example"), "rq worker to send the reset mail",
                        seconds=30)
    assert link_in(mail).startswith(base + "/password/reset/")
    wait_until(lambda: "".join(output).count("Booting worker") == 2, "two gunicorn workers")

    runner.send_signal(signal.SIGINT)
    assert runner.wait(timeout=30) == 0
    for pid in map(int, started.values()):
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)  # nothing of its process group is left, gunicorn's workers included
    assert "run-scaled: all stopped" in "".join(output)
