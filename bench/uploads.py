"""Upload and download throughput through Porch (tus upload, sealed with AES-GCM on the way in, decrypted on the
way out) against a plain file copy on the same disk, and the peak memory of the process doing it.

Run from the repository root: .venv/bin/python bench/uploads.py [sizes in MB, default: 50 200]
Each size runs in a fresh process (peak RSS is a high-water mark), with the server and the HTTP client in it,
so the peak shown covers both; it must not grow with the file's size.
"""

import json
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
DEFAULT_SIZES = (50, 200)


def make_video(path: Path, size: int) -> None:
    """An MP4 of `size` bytes (ftyp, mdat of random bytes, moov), written a megabyte at a time."""
    ftyp = struct.pack(">I", 24) + b"ftypisom\x00\x00\x02\x00isommp41"
    moov = struct.pack(">I", 108) + b"moov" + b"\x00" * 100
    media = size - len(ftyp) - len(moov) - 8
    with path.open("wb") as file:
        file.write(ftyp + struct.pack(">I", media + 8) + b"mdat")
        left = media
        while left:
            block = os.urandom(min(MB, left))
            file.write(block)
            left -= len(block)
        file.write(moov)


def run_one(size_mb: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix=".bench-uploads-", dir=ROOT))
    try:
        return _measure(work, size_mb * MB)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(work: Path, size: int) -> dict:
    import requests
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    os.environ.update({"DATABASE_URL": f"sqlite:///{work / 'porch.db'}", "PORCH_INSTANCE_PATH": str(work / "i"),
                       "PORCH_STORAGE_DIR": str(work / "storage"), "PORCH_RUN_JOBS": "0",
                       "PORCH_VIDEO_MAX_MB": str(size // MB + 1), "PORCH_CLIENT_QUOTA_MB": str(size // MB + 1)})
    for name in ("REDIS_URL", "SMTP_URL"):
        os.environ.pop(name, None)
    from app import create_app
    from app.demo import DEMO_PASSWORD, load_demo_practice

    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
        load_demo_practice()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    browser = requests.Session()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', browser.get(f"{url}/portal/login").text)
    browser.post(f"{url}/portal/login", data={"email": "aisha@example.com", "password": DEMO_PASSWORD,
                                              "csrf_token": token.group(1)})
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(f"{url}/portal/documents/upload").text)
    tus = {"Tus-Resumable": "1.0.0", "X-CSRFToken": token.group(1), "Origin": url}

    source, copy, downloaded = work / "source.mp4", work / "copy.mp4", work / "downloaded.mp4"
    make_video(source, size)

    started = time.perf_counter()
    shutil.copyfile(source, copy)
    copy_seconds = time.perf_counter() - started

    started = time.perf_counter()
    created = browser.post(f"{url}/portal/documents/uploads", headers={**tus, "Upload-Length": str(size),
                                                                     "Upload-Metadata": "filename YmVuY2gubXA0"})
    with source.open("rb") as body:
        sent = browser.patch(url + created.headers["Location"], data=body, headers={
            **tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    upload_seconds = time.perf_counter() - started
    assert sent.status_code == 204, sent.text

    started = time.perf_counter()
    address = f"{url}/portal/documents/{sent.headers['Porch-Document']}/file?download=1"
    with browser.get(address, stream=True) as got, downloaded.open("wb") as file:
        for block in got.iter_content(MB):
            file.write(block)
    download_seconds = time.perf_counter() - started
    server.shutdown()
    same = _same(source, downloaded)
    return {"size_mb": size // MB, "copy_s": copy_seconds, "upload_s": upload_seconds,
            "download_s": download_seconds, "same_bytes": same,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _same(one: Path, other: Path) -> bool:
    with one.open("rb") as a, other.open("rb") as b:
        while True:
            x, y = a.read(MB), b.read(MB)
            if x != y:
                return False
            if not x:
                return True


def main(sizes: list[int]) -> None:
    results = []
    for size in sizes:
        answer = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True,
                                cwd=ROOT, check=True)
        results.append(json.loads(answer.stdout.strip().splitlines()[-1]))
    print(f"{'size':>7} {'plain copy':>12} {'upload (tus)':>14} {'download':>12} {'upload/copy':>12} "
          f"{'download/copy':>14} {'peak RSS':>10}  same bytes")
    for r in results:
        copy_rate, up_rate, down_rate = (r["size_mb"] / r[k] for k in ("copy_s", "upload_s", "download_s"))
        print(f"{r['size_mb']:>4} MB {copy_rate:>7.0f} MB/s {up_rate:>9.0f} MB/s {down_rate:>7.0f} MB/s "
              f"{up_rate / copy_rate:>12.2f} {down_rate / copy_rate:>14.2f} {r['peak_rss_mb']:>7.0f} MB  "
              f"{'yes' if r['same_bytes'] else 'NO'}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(run_one(int(sys.argv[2]))))
    else:
        main([int(a) for a in sys.argv[1:]] or list(DEFAULT_SIZES))
