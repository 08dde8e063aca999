import io
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import db
from app.documents.models import Document, DocumentUpload
from tests.conftest import make_portal_account


def a_file(data: bytes, name: str) -> tuple:
    return (io.BytesIO(data), name)


def share_form(**fields) -> dict:
    form = {"title": "Home exercises", "kind": "handout", "note": "", "request_key": str(uuid.uuid4())}
    form.update(fields)
    return form


def stored_files(app) -> list[Path]:
    return [p for p in Path(app.config["PORCH_STORAGE_DIR"]).rglob("*") if p.is_file()]


def document_count() -> int:
    return db.session.scalar(select(func.count(Document.id)))


def upload_count() -> int:
    return db.session.scalar(select(func.count(DocumentUpload.id)))


@pytest.fixture
def aisha_online(practice):
    """Aisha with her portal account."""
    make_portal_account(practice.aisha)
    return practice.aisha


# --- a live server for real HTTP clients (tuspy, raw sockets) ------------------------------------

@pytest.fixture
def served(app):
    """This test's app on a loopback port, for clients that speak real HTTP."""
    import threading

    from werkzeug.serving import make_server

    from tests.conftest import free_port

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="porch-documents-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def signed_in_headers(url: str, email: str) -> dict:
    """What the upload page's script sends: the session cookie, the page's CSRF token and the page's origin."""
    import re

    import requests

    from tests.conftest import PASSWORD

    browser = requests.Session()
    login = browser.get(f"{url}/portal/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    answer = browser.post(f"{url}/portal/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                          allow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = browser.get(f"{url}/portal/documents/upload").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    cookies = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    return {"Cookie": cookies, "X-CSRFToken": token, "Origin": url}
