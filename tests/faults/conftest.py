"""Faults survived: each test runs its own processes (gunicorn, rq worker, rq cron, a private redis-server) so
that stopping or killing one of them never disturbs another test run on this machine."""

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from tests.conftest import ROOT, free_port, wait_until

BIN = Path(sys.executable).parent


class PrivateRedis:
    """A redis-server of this test's own, on a free port, that the test may stop and start again."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                                         "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.answers, "the private redis-server to answer")

    def answers(self) -> bool:
        try:
            return Redis.from_url(self.url, socket_timeout=1).ping()
        except OSError:
            return False
        except Exception:  # noqa: BLE001  (redis' own ConnectionError while it starts)
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(environment, tmp_path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path)
    redis.start()
    environment.setenv("REDIS_URL", redis.url)
    yield redis
    redis.stop()


class Processes:
    """Long-running processes of the topology (`rq worker`, `rq cron`), each logging to a file, all stopped at the
    end of the test."""

    def __init__(self):
        self.running: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *command: str) -> subprocess.Popen:
        log = Path(tempfile.mkstemp(prefix="porch-fault-", suffix=".log")[1])
        with log.open("wb") as output:
            process = subprocess.Popen([str(BIN / command[0]), *command[1:]], cwd=ROOT, env={**os.environ},
                                       stdout=output, stderr=subprocess.STDOUT)
        self.running.append((process, log))
        return process

    def logs(self) -> str:
        return "\n".join(log.read_text(errors="replace") for _, log in self.running)

    def stop_all(self) -> None:
        for process, _ in self.running:
            if process.poll() is None:
                process.terminate()
        for process, _ in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def processes() -> Iterator[Processes]:
    started = Processes()
    yield started
    started.stop_all()
