"""What the demo client's phone downloads for the portal home and the login page, against the page budgets.

Every request says `Accept-Encoding: gzip, deflate, br, zstd` as a browser does, and what is counted is the
body as Porch sends it (its Content-Length, compressed or not): what crosses the wire, less the headers.
Run from the repository root: .venv/bin/python bench/page_weight.py (exits 1 when a budget is exceeded).
The measuring functions are shared with tests/portal/test_page_weight.py.
"""

import gzip
import os
import sys
import tempfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KB = 1000
HTML_BUDGET = 14 * KB
CSS_BUDGET = 10 * KB
FIRST_VISIT_BUDGET = 30 * KB
REPEAT_VISIT_BUDGET = 8 * KB
ONE_YEAR = 365 * 24 * 3600
CARDS = ("upcoming", "forms", "messages", "invoices")
DEMO_CLIENT = "aisha@example.com"

BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}

Fetch = Callable[..., object]


def on_the_wire(body: bytes) -> int:
    """Bytes after gzip -9 (mtime fixed): an estimate for bodies that were not fetched with BROWSER headers."""
    return len(gzip.compress(body, compresslevel=9, mtime=0))


class PageParts(HTMLParser):
    """The assets a browser fetches on a first visit, and the login form's CSRF token."""

    def __init__(self):
        super().__init__()
        self.assets: list[dict] = []
        self.csrf_token: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "link" and "stylesheet" in (found.get("rel") or "").split() and found.get("href"):
            self.assets.append({"kind": "stylesheet", "url": found["href"], "defer": False})
        elif tag == "script" and found.get("src"):
            self.assets.append({"kind": "script", "url": found["src"], "defer": "defer" in found})
        elif tag == "img" and found.get("src"):
            self.assets.append({"kind": "image", "url": found["src"], "defer": False})
        elif tag == "input" and found.get("name") == "csrf_token":
            self.csrf_token = found.get("value")


def parts_of(html: str) -> PageParts:
    parts = PageParts()
    parts.feed(html)
    parts.close()
    return parts


def _fetched(response, url: str) -> dict:
    """The body as sent, and its size on the wire: the Content-Length of the (compressed) body."""
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, not 200: nothing to measure")
    sent = response.get_data()
    response.close()
    length = int(response.headers.get("Content-Length", len(sent)))
    if length != len(sent):
        raise RuntimeError(f"GET {url} said Content-Length {length} but sent {len(sent)} bytes")
    encoding = response.headers.get("Content-Encoding")
    body = DECODERS[encoding](sent) if encoding else sent
    return {"body": body, "bytes": length, "raw_bytes": len(body), "encoding": encoding or "identity",
            "max_age": response.cache_control.max_age or 0, "vary": [h.lower() for h in response.vary]}


def _brotli_decompress(data: bytes) -> bytes:
    import brotli

    return brotli.decompress(data)


DECODERS = {"gzip": gzip.decompress, "br": _brotli_decompress}


def measure(get: Fetch, page: str = "/portal", cards: tuple[str, ...] = CARDS) -> dict:
    """Weigh `page` and what it loads. `get(url, htmx=False, headers=None)` must answer as the visitor would be."""
    html = _fetched(get(page, headers=BROWSER), page)
    assets = []
    for asset in parts_of(html["body"].decode()).assets:
        fetched = _fetched(get(asset["url"], headers=BROWSER), asset["url"])
        assets.append({**asset, "path": urlsplit(asset["url"]).path,
                       "fingerprint": parse_qs(urlsplit(asset["url"]).query).get("v", [None])[0],
                       **{k: v for k, v in fetched.items() if k != "body"}})
    fragments = {name: _fetched(get(f"/portal/cards/{name}", htmx=True, headers=BROWSER), name)["bytes"]
                 for name in cards}
    return {
        "page": page,
        "html": html["bytes"],
        "html_raw": html["raw_bytes"],
        "html_encoding": html["encoding"],
        "assets": assets,
        "css": sum(a["bytes"] for a in assets if a["kind"] == "stylesheet"),
        "first_visit": html["bytes"] + sum(a["bytes"] for a in assets),
        "repeat_visit": html["bytes"],
        "cached_for_a_year": all(a["max_age"] >= ONE_YEAR and a["fingerprint"] for a in assets),
        "cards": fragments,
    }


def verdicts(weights: dict) -> list[tuple[str, int, int, bool]]:
    """(what, bytes, budget, within budget) for each budgeted figure."""
    page = weights["page"]
    budgets = [(f"{page} HTML", weights["html"], HTML_BUDGET),
               ("CSS", weights["css"], CSS_BUDGET),
               ("first visit (HTML + assets)", weights["first_visit"], FIRST_VISIT_BUDGET),
               ("repeat visit (HTML only)", weights["repeat_visit"], REPEAT_VISIT_BUDGET)]
    return [(what, size, budget, size <= budget) for what, size, budget in budgets]


def report(weights: dict, who: str) -> str:
    def row(what, size, raw="", budget="", verdict="") -> str:
        return f"{what:<56} {size:>8} {raw:>8} {budget:>8}  {verdict}".rstrip()

    lines = [f"{weights['page']} as {who}: bytes on the wire (Content-Length as sent, 1 KB = {KB} bytes)", "",
             row("first visit, request by request", "wire", "raw"),
             row(f"  GET {weights['page']} (HTML, {weights['html_encoding']})", weights["html"], weights["html_raw"])]
    for asset in weights["assets"]:
        lines.append(row(f"  GET {asset['path']} ({asset['encoding']})", asset["bytes"], asset["raw_bytes"]))
    lines += ["", row("budget", "wire", "", "budget", "verdict")]
    for what, size, budget, ok in verdicts(weights):
        lines.append(row(what, size, "", budget, "PASS" if ok else "OVER"))
    if weights["cards"]:
        lines += ["", row("card fragments (HX-Request: true)", "wire")]
        for name, size in weights["cards"].items():
            lines.append(row(f"  GET /portal/cards/{name}", size))
    lines.append("")
    for asset in weights["assets"]:
        facts = [f"?v={asset['fingerprint']}", f"Cache-Control max-age={asset['max_age']}"]
        facts += ["defer"] if asset["defer"] else []
        facts += [f"Vary: {', '.join(asset['vary'])}"] if asset["vary"] else []
        lines.append(f"{asset['path']}: {'; '.join(facts)}")
    lines.append("repeat visit counts the HTML only: every asset has a fingerprinted URL cached for >= 1 year"
                 if weights["cached_for_a_year"] else
                 "OVER: some asset is not fingerprinted or not cached for a year; the repeat visit figure is wrong")
    if any("cookie" in asset["vary"] for asset in weights["assets"]):
        lines.append("note: Vary: Cookie on static files makes browsers revalidate them (a round trip each) "
                     "whenever the session cookie changes, e.g. after every login")
    return "\n".join(lines)


def demo_app(directory: Path) -> Flask:
    """A Porch on a fresh SQLite file in `directory`, migrated, with the demo practice loaded."""
    from flask_migrate import upgrade

    from app import create_app
    from app.demo import load_demo_practice

    for name in ("REDIS_URL", "SMTP_URL", "PORCH_ENV", "SECRET_KEY", "PORCH_ENCRYPTION_KEYS"):
        os.environ.pop(name, None)
    os.environ.update({"DATABASE_URL": f"sqlite:///{directory / 'porch.db'}",
                       "PORCH_INSTANCE_PATH": str(directory / "instance"), "PORCH_RUN_JOBS": "0"})
    app = create_app()
    with app.app_context():
        upgrade()
        load_demo_practice()
    return app


def sign_in(client: FlaskClient, email: str, password: str) -> None:
    """Log in as a person would: the login form, its CSRF token, the POST."""
    token = parts_of(client.get("/login").get_data(as_text=True)).csrf_token
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code != 303:
        raise RuntimeError(f"logging in as {email} answered {response.status_code}, not 303")


def main() -> int:
    from app.db import db
    from app.demo import DEMO_PASSWORD

    def fetch_with(client: FlaskClient) -> Fetch:
        return lambda url, htmx=False, headers=None: client.get(
            url, headers={**({"HX-Request": "true"} if htmx else {}), **(headers or {})})

    with tempfile.TemporaryDirectory(prefix="porch-bench-") as directory:
        app = demo_app(Path(directory))
        login = measure(fetch_with(app.test_client()), "/login", cards=())
        client = app.test_client()
        sign_in(client, DEMO_CLIENT, DEMO_PASSWORD)
        home = measure(fetch_with(client))
        with app.app_context():
            db.engine.dispose()
    print(report(home, f"the demo client ({DEMO_CLIENT})"), report(login, "someone not signed in"), sep="\n\n")
    within = all(ok for weights in (home, login) for *_, ok in verdicts(weights))
    return 0 if within and home["cached_for_a_year"] and login["cached_for_a_year"] else 1


if __name__ == "__main__":
    sys.exit(main())
