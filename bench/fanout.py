"""Live-update fan-out: N WebSocket clients across two gunicorn processes, one sender; delivery latency and memory.

    .venv/bin/python bench/fanout.py [--clients 2000] [--messages 20] [--worker-class gevent]

Everything runs on 127.0.0.1: a temporary SQLite database, a Redis database of its own (1-15, the same claim
the test suite makes), and two gunicorn instances on free ports sharing them. Half the sockets connect to
each instance; every message is posted to the first, so half the deliveries cross processes through Redis.
Latency is measured from just before the sender's POST to the moment a socket has the pushed fragment. The
client sockets live in two processes of their own, each one epoll loop (cheap, so that they leave the two cores
to the servers); the bench prints each process's CPU time per message and fails if a frame is missing or a
socket got the messages out of order.
"""

import argparse
import base64
import http.cookiejar
import os
import re
import resource
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
import zlib
from pathlib import Path

from redis import Redis

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


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far: what a message costs, whatever the load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def listen(count: int, cookie: str, origin: str, urls: list[str]) -> int:
    """A client process: open `count` sockets, say how many opened, record arrivals until told "done".

    The 2,000 clients share the two cores with the two servers, so they are kept cheap: one epoll loop over plain
    sockets with a small frame reader (no thread or greenlet per socket), and each frame's fragment is searched for
    its mark only after the measurement. Each socket offers permessage-deflate, as browsers do.
    """
    poller = select.epoll()
    sockets: dict[int, ClientSocket] = {}
    for i in range(count):
        client = ClientSocket(urls[i % len(urls)], cookie, origin)
        sockets[client.fileno] = client
        poller.register(client.fileno, select.EPOLLIN)
    poller.register(sys.stdin.fileno(), select.EPOLLIN)
    told_ready = False
    give_up_opening = time.monotonic() + 120
    deadline = None
    while deadline is None or time.monotonic() < deadline:
        for fd, _ in poller.poll(0.1 if deadline else 1):
            if fd == sys.stdin.fileno():
                sys.stdin.readline()
                poller.unregister(fd)
                deadline = time.monotonic() + 1
                continue
            client = sockets[fd]
            if not client.read(time.time()):
                poller.unregister(fd)
        if not told_ready and (time.monotonic() > give_up_opening or
                               all(client.state != "opening" for client in sockets.values())):
            print(f"ready {sum(client.state == 'open' for client in sockets.values())}", flush=True)
            told_ready = True
    lines, disorder = [], 0
    for client in sockets.values():
        numbers = []
        for arrived, payload in client.frames:
            found = MARK.findall(payload.decode())
            if found:
                number, sent = found[-1]
                numbers.append(int(number))
                lines.append(f"{number} {(arrived - float(sent)) * 1000:.3f}\n")
        disorder += numbers != sorted(numbers)
        client.sock.close()
    sys.stdout.write("".join(lines) + f"disorder {disorder}\n")
    return 0


class ClientSocket:
    """One WebSocket, as much of the client side of RFC 6455 as a page that only listens needs (plus inflating)."""

    def __init__(self, url: str, cookie: str, origin: str):
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port))
        self.sock.setblocking(False)
        self.fileno = self.sock.fileno()
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                          f"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                          f"Origin: {origin}\r\nCookie: {cookie}\r\n\r\n".encode())
        self.state = "opening"
        self.buffer = b""
        self.frames: list[tuple[float, bytes]] = []
        self.inflate = None

    def read(self, arrived: float) -> bool:
        """What the socket has, taken in; False once it is closed."""
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return True
        if not data:
            self.state = "closed"
            return False
        self.buffer += data
        if self.state == "opening":
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return True
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                self.state = "refused"
                return False
            self.state, self.buffer = "open", rest
        while len(self.buffer) >= 2:
            first, length = self.buffer[0], self.buffer[1] & 0x7F
            start = 2 + {126: 2, 127: 8}.get(length, 0)
            if len(self.buffer) < start:
                break
            if length >= 126:
                length = int.from_bytes(self.buffer[2:start], "big")
            if len(self.buffer) < start + length:
                break
            payload, self.buffer = self.buffer[start:start + length], self.buffer[start + length:]
            opcode = first & 0x0F
            if opcode == 0x9:
                self.write(0x8A, payload)
            elif opcode == 0x8:
                self.state = "closed"
                return False
            elif opcode in (0x1, 0x2):
                if first & 0x40:  # compressed (RSV1)
                    self.inflate = self.inflate or zlib.decompressobj(-zlib.MAX_WBITS)
                    payload = self.inflate.decompress(payload + b"\x00\x00\xff\xff")
                self.frames.append((arrived, payload))
        return True

    def write(self, first: int, payload: bytes) -> None:
        mask = os.urandom(4)
        self.sock.sendall(bytes([first, 0x80 | len(payload)]) + mask +
                          bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


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
        time.sleep(1)  # the first push compiles templates and starts each process's Redis listener: not measured
        measured = [("server A", pid) for pid in worker_pids(servers[0])] + \
                   [("server B", pid) for pid in worker_pids(servers[1])] + \
                   [(f"client {n + 1}", child.pid) for n, child in enumerate(listeners)]
        cpu_before = [cpu_seconds(pid) for _, pid in measured]
        for number in range(options.messages):
            began = time.time()
            carlos.post(f"/inbox/{conversation}", {"body": f"bench-{number}-{began:.6f}",
                                                   "request_key": str(uuid.uuid4())}, token, htmx=True)
            post_ms.append((time.time() - began) * 1000)
            time.sleep(0.5)
        cpu_used = [cpu_seconds(pid) - before for (_, pid), before in zip(measured, cpu_before, strict=True)]
        memory = [(name, pid, rss_kib(pid)) for name, server in zip(("A", "B"), servers, strict=True)
                  for pid in worker_pids(server)]  # while every socket is still open
        latencies: dict[int, list[float]] = {n: [] for n in range(options.messages)}
        disorder = 0
        for child in listeners:
            child.stdin.write("done\n")
            child.stdin.flush()
            for line in child.stdout:
                number, ms = line.split()
                if number == "disorder":
                    disorder += int(ms)
                else:
                    latencies[int(number)].append(float(ms))
            child.wait(timeout=30)

        everything = [ms for values in latencies.values() for ms in values]
        delivered = len(everything)
        expected = connected * options.messages
        print(f"deliveries: {delivered} of {expected} ({options.messages} messages × {connected} sockets); "
              f"sockets that got them out of order: {disorder}")
        if everything:
            print(f"latency ms: p50 {statistics.median(everything):.1f}  p95 {percentile(everything, 0.95):.1f}  "
                  f"p99 {percentile(everything, 0.99):.1f}  max {max(everything):.1f}")
            print("median per message ms: " + " ".join(f"{statistics.median(v):.0f}" for v in latencies.values() if v))
            firsts = [min(v) for v in latencies.values() if v]
            print(f"sender's POST round trip ms: median {statistics.median(post_ms):.1f}; first socket served after "
                  f"median {statistics.median(firsts):.1f} ms, spread to the last one median "
                  f"{statistics.median([max(v) - min(v) for v in latencies.values() if v]):.1f} ms")
        print("CPU ms per message: " + "  ".join(f"{name} {used * 1000 / options.messages:.1f}"
                                                 for (name, _), used in zip(measured, cpu_used, strict=True)))
        for name, pid, kib in memory:
            print(f"process {name} (worker pid {pid}): RSS {kib / 1024:.0f} MiB with {connected // 2} sockets open")
        return 0 if delivered == expected and not disorder and everything and percentile(everything, 0.99) <= 100 else 1
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
