"""What the demo client's phone downloads for the portal home, gzip -9 compressed, against the page budgets.

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

Fetch = Callable[..., object]


def on_the_wire(body: bytes) -> int:
    """Bytes after gzip -9 (mtime fixed, so the same body always gives the same number)."""
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


def _body(response, url: str) -> bytes:
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, not 200: nothing to measure")
    body = response.get_data()
    response.close()
    return body


def measure(get: Fetch) -> dict:
    """Weigh the portal home. `get(url, htmx=False)` must answer as the signed-in client would be answered."""
    html = _body(get("/portal"), "/portal")
    assets = []
    for asset in parts_of(html.decode()).assets:
        response = get(asset["url"])
        max_age, vary = response.cache_control.max_age, [h.lower() for h in response.vary]
        body = _body(response, asset["url"])
        assets.append({**asset, "path": urlsplit(asset["url"]).path,
                       "fingerprint": parse_qs(urlsplit(asset["url"]).query).get("v", [None])[0],
                       "bytes": on_the_wire(body), "raw_bytes": len(body), "max_age": max_age or 0,
                       "vary": vary})
    cards = {name: on_the_wire(_body(get(f"/portal/cards/{name}", htmx=True), f"/portal/cards/{name}"))
             for name in CARDS}
    html_bytes = on_the_wire(html)
    return {
        "html": html_bytes,
        "assets": assets,
        "css": sum(a["bytes"] for a in assets if a["kind"] == "stylesheet"),
        "first_visit": html_bytes + sum(a["bytes"] for a in assets),
        "repeat_visit": html_bytes,
        "cached_for_a_year": all(a["max_age"] >= ONE_YEAR and a["fingerprint"] for a in assets),
        "cards": cards,
    }


def verdicts(weights: dict) -> list[tuple[str, int, int, bool]]:
    """(what, bytes, budget, within budget) for each budgeted figure."""
    budgets = [("portal home HTML", weights["html"], HTML_BUDGET),
               ("CSS", weights["css"], CSS_BUDGET),
               ("first visit (HTML + assets)", weights["first_visit"], FIRST_VISIT_BUDGET),
               ("repeat visit (HTML only)", weights["repeat_visit"], REPEAT_VISIT_BUDGET)]
    return [(what, size, budget, size <= budget) for what, size, budget in budgets]


def report(weights: dict) -> str:
    def row(what, size, budget="", verdict="") -> str:
        return f"{what:<58} {size:>8} {budget:>8}  {verdict}".rstrip()

    lines = [f"Portal home of the demo client ({DEMO_CLIENT}), bytes after gzip -9 (1 KB = {KB} bytes)", "",
             row("first visit, request by request", "bytes"), row("  GET /portal (HTML)", weights["html"])]
    for asset in weights["assets"]:
        lines.append(row(f"  GET {asset['path']} ({asset['raw_bytes']} raw)", asset["bytes"]))
    lines += ["", row("budget", "bytes", "budget", "verdict")]
    for what, size, budget, ok in verdicts(weights):
        lines.append(row(what, size, budget, "PASS" if ok else "OVER"))
    lines += ["", row("card fragments (HX-Request: true)", "bytes")]
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

    with tempfile.TemporaryDirectory(prefix="porch-bench-") as directory:
        app = demo_app(Path(directory))
        client = app.test_client()
        sign_in(client, DEMO_CLIENT, DEMO_PASSWORD)
        weights = measure(lambda url, htmx=False: client.get(url, headers={"HX-Request": "true"} if htmx else {}))
        with app.app_context():
            db.engine.dispose()
    print(report(weights))
    within = all(ok for *_, ok in verdicts(weights)) and weights["cached_for_a_year"]
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
