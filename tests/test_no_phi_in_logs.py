"""No health data in the logs: the main flows run over real HTTP with every logger at DEBUG, and nothing a client
told the practice (name, e-mail, phone, message, answer, file name) appears in a single line."""

import logging
import re
import urllib.request
import uuid

import pytest
from sqlalchemy import select

from app.db import db
from app.documents.models import Document
from app.exports.models import DataExport
from app.forms.builder import create_template
from app.forms.models import FormQuestion, FormRequest
from app.forms.service import CUSTOM
from app.mail import OutboxEmail
from tests.conftest import CSRF_IN_PAGE, PASSWORD, HttpVisitor, run_jobs
from tests.documents import files

PHONE = "+1 207 555 0199"
CLIENT_MESSAGE = "My panic attacks came back after the funeral"
STAFF_MESSAGE = "Thank you for telling me about the panic attacks"
ANSWER = "I feel hopeless on Sundays"
FILE_NAME = "hiv-test-results.png"
NEW_PASSWORD = "a-long-new-password-2026"


class Everything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter("%(name)s %(levelname)s %(message)s").format(record))


@pytest.fixture
def all_logs_at_debug():
    handler = Everything()
    root = logging.getLogger()
    names = ("", "werkzeug", "sqlalchemy.engine", "sqlalchemy.pool", "app", "jobs", "rq")
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    # Alembic's fileConfig (the migrations the fixtures ran) disables the loggers that existed then
    disabled = [logger for logger in logging.root.manager.loggerDict.values()
                if isinstance(logger, logging.Logger) and logger.disabled]
    for logger in disabled:
        logger.disabled = False
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for logger in disabled:
        logger.disabled = True


def upload(visitor: HttpVisitor, path: str, name: str, data: bytes) -> int:
    _, page, _ = visitor.get("/login/help")
    token = CSRF_IN_PAGE.search(page).group(1)
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(visitor.base + path, data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    status, _, _ = visitor._open(request)
    return status


def test_it_keeps_names_addresses_messages_answers_and_files_out_of_every_log(app, practice, served, all_logs_at_debug):
    aisha = practice.aisha
    aisha.phone = PHONE
    template = create_template(practice.workspace.id, practice.owner, "Weekly check", str(uuid.uuid4()))
    db.session.add(FormQuestion(template_id=template.id, position=0, kind="short_text", prompt="How was your week?",
                                required=True))
    db.session.commit()

    staff = HttpVisitor(served)
    assert staff.post("/login", {"email": practice.carlos.email, "password": PASSWORD})[0] == 200
    assert staff.get(f"/clients?q={aisha.last_name}")[0] == 200
    assert staff.post(f"/clients/{aisha.id}/invite", {"request_key": str(uuid.uuid4())})[0] == 200
    run_jobs(app)
    invite = db.session.scalar(select(OutboxEmail).where(OutboxEmail.template == "portal_invite"))
    link = re.search(r"https?://\S+/invite/\S+", invite.body_text).group(0).replace("http://porch.test", "")

    client = HttpVisitor(served)
    assert client.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})[0] == 200
    client = HttpVisitor(served)
    assert client.post("/portal/login", {"email": aisha.email, "password": NEW_PASSWORD})[0] == 200

    status, _, url = staff.post("/inbox/compose", {"client": aisha.id, "body": STAFF_MESSAGE,
                                                   "request_key": str(uuid.uuid4())})
    assert status == 200, url
    conversation = url.rstrip("/").rsplit("/", 1)[1]
    run_jobs(app)
    assert client.post(f"/portal/messages/{conversation}", {"body": CLIENT_MESSAGE,
                                                            "request_key": str(uuid.uuid4())})[0] == 200

    assert staff.post(f"/clients/{aisha.id}/forms", {"template": f"{CUSTOM}{template.id}", "repeat": "0",
                                                     "request_key": str(uuid.uuid4())})[0] == 200
    run_jobs(app)
    form = db.session.scalar(select(FormRequest).where(FormRequest.client_id == aisha.id))
    question = f"c{template.questions[0].id}"
    assert client.post(f"/portal/forms/{form.id}", {f"shown-{question}": "", f"answer-{question}": ANSWER,
                                                    "action": "send"})[0] == 200
    assert staff.get(f"/clients/{aisha.id}/forms/{form.id}")[0] == 200

    assert upload(client, "/portal/documents/upload", FILE_NAME, files.png()) == 200
    db.session.expire_all()
    assert db.session.scalar(select(Document.id).where(Document.client_id == aisha.id)) is not None

    assert client.post("/portal/account/export", {})[0] == 200
    run_jobs(app)
    run_jobs(app)
    db.session.expire_all()
    export = db.session.scalar(select(DataExport))
    assert export.status == "ready"
    _, page, _ = client.get("/portal/account/export")
    download = re.search(r'href="(/portal/account/export/download/[^"]+)"', page).group(1)
    with client.opener.open(served + download, timeout=30) as response:
        assert response.status == 200 and response.read().startswith(b"PK")

    lines = all_logs_at_debug.lines
    assert any(line.startswith("werkzeug") for line in lines), sorted({line.split()[0] for line in lines})
    assert any(line.startswith("sqlalchemy.engine") for line in lines), "the statement log was not captured"
    secrets = [aisha.first_name, aisha.last_name, aisha.email, PHONE, CLIENT_MESSAGE, STAFF_MESSAGE, ANSWER,
               FILE_NAME, NEW_PASSWORD, download.rsplit("/", 1)[1], link.rsplit("/", 1)[1]]
    leaks = [(secret, line[:300]) for line in lines for secret in secrets if secret.lower() in line.lower()]
    assert leaks == []
