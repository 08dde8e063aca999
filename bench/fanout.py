"""Live-update fan-out: N WebSocket clients across two gunicorn processes, one sender; delivery latency and memory.

    .venv/bin/python bench/fanout.py [--clients 2000] [--messages 20] [--worker-class gevent]

Everything runs on 127.0.0.1: a temporary SQLite database, a Redis database of its own (1-15, the same claim
the test suite makes), and two gunicorn instances on free ports sharing them. Half the sockets connect to
each instance; every message is posted to the first, so half the deliveries cross processes through Redis.
Latency is measured from just before the sender's POST to the moment a socket has the pushed fragment.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import http.cookiejar  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from redis import Redis  # noqa: E402
from simple_websocket import Client  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench-password-2026"
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
MARK = re.compile(r"bench-(\d+)-(\d+\.\d+)")


class Visitor:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf_token(self) -> str:
        page = self.opener.open(self.base + "/login/help", timeout=30).read().decode()
        return CSRF.search(page).group(1)

    def post(self, path: str, fields: dict, token: str | None = None, htmx: bool = False) -> str:
        data = urllib.parse.urlencode({"csrf_token": token or self.csrf_token(), **fields}).encode()
        request = urllib.request.Request(self.base + path, data=data, headers={"HX-Request": "true"} if htmx else {})
        with self.opener.open(request, timeout=30) as response:
            return response.url

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def claim_redis_database(server: str) -> str:
    for number in range(15, 0, -1):
        if Redis.from_url(f"{server}/{number}").set("porch-test-run", "bench", nx=True, ex=3600):
            return f"{server}/{number}"
    raise SystemExit("every Redis database 1-15 is in use by a test run")


def prepare(environment: dict) -> None:
    """Schema, a practice with Carlos and Aisha (portal account), in a child process so this one stays clean."""
    script = f"""
from flask_migrate import upgrade
from app import create_app, clock
from app.auth.models import User
from app.auth.passwords import hash_password
from app.clients.models import Client
from app.db import db
from app.tenancy import Workspace
app = create_app()
with app.app_context():
    upgrade(revision="heads")
    now = clock.now()
    w = Workspace(name="Bench Practice", time_zone="UTC", created_at=now)
    db.session.add(w); db.session.flush()
    h = hash_password({PASSWORD!r})
    carlos = User(workspace_id=w.id, email="carlos@bench.example", name="Carlos Diaz", role="practitioner",
                  password_hash=h, created_at=now)
    db.session.add(carlos); db.session.flush()
    aisha = Client(workspace_id=w.id, first_name="Aisha", last_name="Rahman", email="aisha@bench.example",
                   time_zone="UTC", care_team=[carlos], created_at=now)
    db.session.add(aisha); db.session.flush()
    db.session.add(User(workspace_id=w.id, email=aisha.email, name="Aisha Rahman", password_hash=h,
                        client_id=aisha.id, message_emails=False, created_at=now))
    db.session.commit()
    print(aisha.id)
"""
    return int(subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, check=True,
                              capture_output=True, text=True).stdout.split()[-1])


def start_gunicorn(port: int, environment: dict, worker_class: str, connections: int) -> subprocess.Popen:
    command = [str(BIN / "gunicorn"), "--workers", "1", "--worker-class", worker_class, "--bind", f"127.0.0.1:{port}",
               "--worker-connections", str(connections), "--timeout", "120", "wsgi:app"]
    if worker_class == "gthread":
        command += ["--threads", str(connections)]
    server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn on port {port} did not start")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_pids(master: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def listen(count: int, cookie: str, origin: str, urls: list[str]) -> int:
    """A client process: open `count` sockets, say how many opened, record latencies until told "done"."""
    headers = {"Cookie": cookie, "Origin": origin}
    connecting = [gevent.spawn(Client.connect, urls[i % len(urls)], headers=headers) for i in range(count)]
    gevent.joinall(connecting, timeout=120)
    sockets = [g.value for g in connecting if g.successful() and g.value is not None]
    results: list[tuple[int, float]] = []

    def receive(socket: Client) -> None:
        while (frame := socket.receive()) is not None:
            arrived = time.time()
            found = MARK.findall(frame)
            if found:
                number, sent = found[-1]
                results.append((int(number), (arrived - float(sent)) * 1000))

    readers = [gevent.spawn(receive, s) for s in sockets]
    print(f"ready {len(sockets)}", flush=True)
    gevent.get_hub().threadpool.spawn(sys.stdin.readline).get()
    gevent.sleep(1)
    gevent.killall(readers, timeout=5)
    for socket in sockets:
        with contextlib.suppress(Exception):
            socket.close()
    sys.stdout.write("".join(f"{number} {ms:.3f}\n" for number, ms in results))
    return 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--listen":
        listener = argparse.ArgumentParser()
        listener.add_argument("--listen", type=int)
        listener.add_argument("--cookie")
        listener.add_argument("--origin")
        listener.add_argument("urls", nargs="+")
        args = listener.parse_args()
        return listen(args.listen, args.cookie, args.origin, args.urls)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--worker-class", default="gevent", choices=["gevent", "gthread"])
    parser.add_argument("--listener-processes", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    options = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, options.clients * 3 + 1000)), hard))

    workdir = Path(tempfile.mkdtemp(prefix="porch-fanout-"))
    redis_url = claim_redis_database(options.redis)
    port_a, port_b = free_port(), free_port()
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'porch.db'}", "REDIS_URL": redis_url,
                   "PORCH_INSTANCE_PATH": str(workdir / "instance"), "PORCH_BASE_URL": f"http://127.0.0.1:{port_a}"}
    environment.pop("SMTP_URL", None)
    client_id = prepare(environment)
    servers = [start_gunicorn(port, environment, options.worker_class, options.clients) for port in (port_a, port_b)]
    listeners: list[subprocess.Popen] = []
    try:
        carlos = Visitor(f"http://127.0.0.1:{port_a}")
        carlos.post("/login", {"email": "carlos@bench.example", "password": PASSWORD})
        conversation = carlos.post("/inbox/compose", {"client": client_id, "body": "hello",
                                                      "request_key": str(uuid.uuid4())}).rsplit("/", 1)[1]
        aisha = Visitor(f"http://127.0.0.1:{port_a}")
        aisha.post("/login", {"email": "aisha@bench.example", "password": PASSWORD})

        urls = [f"ws://127.0.0.1:{port}/live?topics=conversation-{conversation}" for port in (port_a, port_b)]
        shares = [options.clients // options.listener_processes] * options.listener_processes
        shares[0] += options.clients - sum(shares)
        started = time.monotonic()
        listeners = [subprocess.Popen([sys.executable, __file__, "--listen", str(share), "--cookie", aisha.cookie(),
                                       "--origin", f"http://127.0.0.1:{port_a}", *urls],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                     for share in shares]
        ready = [int(child.stdout.readline().split()[1]) for child in listeners]
        connected = sum(ready)
        print(f"{connected} of {options.clients} sockets connected in {time.monotonic() - started:.1f} s "
              f"({options.worker_class} workers, 2 processes; listeners in {len(listeners)} client processes)")
        if connected < options.clients:
            return 1

        token = carlos.csrf_token()
        post_ms = []
        carlos.post(f"/inbox/{conversation}", {"body": "warm-up", "request_key": str(uuid.uuid4())}, token, htmx=True)
        gevent.sleep(1)  # the first push compiles templates and starts each process's Redis listener: not measured
        for number in range(options.messages):
            began = time.time()
            carlos.post(f"/inbox/{conversation}", {"body": f"bench-{number}-{began:.6f}",
                                                   "request_key": str(uuid.uuid4())}, token, htmx=True)
            post_ms.append((time.time() - began) * 1000)
            gevent.sleep(0.5)
        memory = [(name, pid, rss_kib(pid)) for name, server in zip(("A", "B"), servers, strict=True)
                  for pid in worker_pids(server)]  # while every socket is still open
        latencies: dict[int, list[float]] = {n: [] for n in range(options.messages)}
        for child in listeners:
            child.stdin.write("done\n")
            child.stdin.flush()
            for line in child.stdout:
                number, ms = line.split()
                latencies[int(number)].append(float(ms))
            child.wait(timeout=30)

        everything = [ms for values in latencies.values() for ms in values]
        delivered = len(everything)
        expected = connected * options.messages
        print(f"deliveries: {delivered} of {expected} ({options.messages} messages × {connected} sockets)")
        if everything:
            print(f"latency ms: p50 {statistics.median(everything):.1f}  p95 {percentile(everything, 0.95):.1f}  "
                  f"p99 {percentile(everything, 0.99):.1f}  max {max(everything):.1f}")
            print("median per message ms: " + " ".join(f"{statistics.median(v):.0f}" for v in latencies.values() if v))
            firsts = [min(v) for v in latencies.values() if v]
            print(f"sender's POST round trip ms: median {statistics.median(post_ms):.1f}; first socket served after "
                  f"median {statistics.median(firsts):.1f} ms, spread to the last one median "
                  f"{statistics.median([max(v) - min(v) for v in latencies.values() if v]):.1f} ms")
        for name, pid, kib in memory:
            print(f"process {name} (worker pid {pid}): RSS {kib / 1024:.0f} MiB with {connected // 2} sockets open")
        return 0 if delivered == expected and everything and percentile(everything, 0.99) <= 100 else 1
    finally:
        for child in listeners:
            if child.poll() is None:
                child.kill()
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        Redis.from_url(redis_url).flushdb()


if __name__ == "__main__":
    sys.exit(main())
