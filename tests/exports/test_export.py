"""Export my data: the client asks, a job builds a sealed zip, she downloads it once; spent zips are deleted."""

import io
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app import clock
from app.audit.models import AuditEvent
from app.db import db
from app.exports.models import DataExport
from app.forms.service import send_form
from app.inbox.service import start_conversation
from jobs.sweeps import run_sweeps
from tests.conftest import make_client, make_portal_account, run_jobs
from tests.documents import files
from tests.forms.test_views import submitted

SECRET_MESSAGE = "My sleep has been awful since the accident"


def aisha_with_things(practice, as_user):
    account = make_portal_account(practice.aisha)
    aisha = as_user(account)
    assert aisha.post("/portal/documents/upload", {"file": (io.BytesIO(files.png()), "knee.png")}).status_code == 303
    start_conversation(practice.carlos, [practice.aisha], SECRET_MESSAGE, "11111111-1111-4111-8111-111111111111")
    form = send_form(practice.aisha, practice.carlos, "builtin:phq9")
    submitted(form, {f"q{n}": "2" for n in range(1, 10)})
    db.session.commit()
    return aisha


def stored(app) -> list[Path]:
    return [p for p in Path(app.config["PORCH_STORAGE_DIR"]).rglob("*") if p.is_file()]


def download_link(page: str) -> str:
    return re.search(r'href="(/portal/account/export/download/[^"]+)"', page).group(1)


def test_it_builds_a_zip_of_everything_and_hands_it_over_once(smtp_server, practice, as_user, app):
    aisha = aisha_with_things(practice, as_user)
    assert aisha.post("/portal/account/export").status_code == 303
    waiting = aisha.get("/portal/account/export").get_data(as_text=True)
    assert "Putting your data together: 0 of" in waiting and 'hx-trigger="every 2s"' in waiting
    run_jobs(app)
    export = db.session.scalar(select(DataExport))
    assert (export.status, export.steps_done, export.steps_total) == ("ready", 5, 5)
    sealed = Path(app.config["PORCH_STORAGE_DIR"]) / export.storage_key[:2] / export.storage_key
    assert sealed.read_bytes().startswith(b"PORCHDOC1") and SECRET_MESSAGE.encode() not in sealed.read_bytes()

    run_jobs(app)
    (mail,) = smtp_server.to("aisha@example.com")[-1:]
    body = mail.get_body(("plain",)).get_content()
    assert "ready" in body and "/portal/account/export" in body
    assert "Aisha" not in body and "PHQ" not in body and "knee" not in body and "/download/" not in body

    page = aisha.get("/portal/account/export").get_data(as_text=True)
    link = download_link(page)
    response = aisha.get(link)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    assert {"profile.json", "appointments.ics", "messages.json", "messages.html"} <= set(names)
    assert json.loads(archive.read("profile.json"))["first_name"] == "Aisha"
    assert SECRET_MESSAGE in archive.read("messages.json").decode()
    (upload,) = [n for n in names if n.startswith("files/my-uploads/")]
    assert upload.endswith("-knee.png") and archive.read(upload) == files.png()
    (answers,) = [n for n in names if n.startswith("forms/") and n.endswith(".json")]
    assert json.loads(archive.read(answers))["form"] == "PHQ-9"
    assert "<dt>" in archive.read(answers.replace(".json", ".html")).decode()
    assert archive.read("appointments.ics").startswith(b"BEGIN:VCALENDAR")

    again = aisha.get(link)
    assert again.status_code == 410
    assert "has been used or has expired" in again.get_data(as_text=True)
    assert not sealed.exists()
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "data_export")).all()
    assert actions == ["data_export.requested", "data_export.downloaded"]


def test_it_makes_one_export_from_a_double_click(practice, as_user, app):
    aisha = aisha_with_things(practice, as_user)
    aisha.post("/portal/account/export")
    aisha.post("/portal/account/export", htmx=True)
    assert len(db.session.scalars(select(DataExport)).all()) == 1


def test_it_keeps_the_link_from_another_client(practice, as_user, app):
    aisha = aisha_with_things(practice, as_user)
    aisha.post("/portal/account/export")
    run_jobs(app)
    link = download_link(aisha.get("/portal/account/export").get_data(as_text=True))
    ben = make_client(practice.workspace, "Ben", "Other", "ben@example.com")
    assert as_user(make_portal_account(ben)).get(link).status_code == 404
    assert aisha.get(link).status_code == 200


def test_it_deletes_an_export_nobody_downloaded_once_its_link_expires(practice, as_user, app):
    aisha = aisha_with_things(practice, as_user)
    aisha.post("/portal/account/export")
    run_jobs(app)
    link = download_link(aisha.get("/portal/account/export").get_data(as_text=True))
    before = len(stored(app))
    clock.freeze(clock.now() + timedelta(hours=49))
    run_sweeps()
    assert len(stored(app)) == before - 1
    assert db.session.scalar(select(DataExport.status)) == "expired"
    assert as_user(practice.aisha.account).get(link).status_code == 410


def test_it_rebuilds_an_export_whose_job_was_lost(practice, as_user, app):
    aisha = aisha_with_things(practice, as_user)
    aisha.post("/portal/account/export")
    app.extensions["porch.queue"]._heap.clear()
    clock.freeze(clock.now() + timedelta(minutes=2))
    run_sweeps()
    run_jobs(app)
    assert db.session.scalar(select(DataExport.status)) == "ready"
