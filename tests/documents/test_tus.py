"""Resumable uploads: the tus 1.0 server (core, creation, termination), driven by the real tuspy client."""

import io
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from app import clock
from app.db import db
from app.documents.models import Document, DocumentUpload
from jobs.sweeps import run_sweeps
from tests.conftest import make_client, make_portal_account
from tests.documents import files
from tests.documents.conftest import document_count, signed_in_headers, stored_files, upload_count

VIDEO = files.mp4(1_000_000)  # a short "video" of about 1 MB


@pytest.fixture
def tus(served, aisha_online) -> TusClient:
    return TusClient(f"{served}/portal/documents/uploads", headers=signed_in_headers(served, "aisha@example.com"))


def fresh(query):
    db.session.expire_all()
    return db.session.scalar(query)


def test_it_takes_an_upload_from_tuspy(tus, served, app):
    uploader = tus.uploader(file_stream=io.BytesIO(VIDEO), chunk_size=256 * 1024,
                            metadata={"filename": "squat form.mp4"})
    uploader.upload()
    document = fresh(select(Document))
    assert (document.origin, document.file_name, document.content_type, document.size) == \
        ("client", "squat form.mp4", "video/mp4", len(VIDEO))
    assert upload_count() == 0
    back = requests.get(f"{served}/portal/documents/{document.id}/file", headers={"Cookie": tus.headers["Cookie"]})
    assert back.content == VIDEO
    on_disk = b"".join(path.read_bytes() for path in stored_files(app))
    assert VIDEO[:64] not in on_disk and VIDEO[500_000:500_064] not in on_disk


def cut_off_patch(url: str, headers: dict, body: bytes, send: int) -> None:
    """A PATCH whose connection drops after `send` bytes of the body, as on a phone losing signal."""
    parts = urlsplit(url)
    lines = [f"PATCH {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Tus-Resumable: 1.0.0", "Upload-Offset: 0",
             "Content-Type: application/offset+octet-stream", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection((parts.hostname, parts.port)) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body[:send])
        time.sleep(0.2)
        connection.shutdown(socket.SHUT_RDWR)


def settled_offset(url: str, headers: dict) -> int:
    """The offset once the server has finished with the cut-off request (its write claim released)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        upload = fresh(select(DocumentUpload))
        if upload.claimed_until is None and upload.offset > 0:
            return int(requests.head(url, headers={**headers, "Tus-Resumable": "1.0.0"}).headers["Upload-Offset"])
        time.sleep(0.05)
    pytest.fail("the server never settled the cut-off upload")


def test_it_carries_on_from_where_a_cut_off_upload_stopped(tus, app):
    first = tus.uploader(file_stream=io.BytesIO(VIDEO), metadata={"filename": "squat.mp4"})
    url = first.create_url()
    cut_off_patch(url, tus.headers, VIDEO, send=400_000)
    kept = settled_offset(url, tus.headers)
    assert 0 < kept <= 400_000

    resumed = tus.uploader(file_stream=io.BytesIO(VIDEO), url=url, chunk_size=300_000)
    assert resumed.offset == kept
    resumed.upload()
    document = fresh(select(Document))
    assert document.size == len(VIDEO)
    with app.test_request_context():
        from app.documents.sealing import SealedFile
        from app.documents.storage import storage

        with SealedFile(storage().open_for_reading(document.storage_key)) as sealed:
            assert b"".join(sealed.chunks()) == VIDEO


def test_it_refuses_a_part_at_the_wrong_offset(tus):
    uploader = tus.uploader(file_stream=io.BytesIO(VIDEO), chunk_size=100_000)
    uploader.upload_chunk()
    response = requests.patch(uploader.url, data=b"x" * 10, headers={
        **tus.headers, "Tus-Resumable": "1.0.0", "Upload-Offset": "5",
        "Content-Type": "application/offset+octet-stream"})
    assert response.status_code == 409
    assert response.text == "The upload is at byte 100000, not 5."


def test_it_cancels_an_upload_and_keeps_nothing(tus, app):
    uploader = tus.uploader(file_stream=io.BytesIO(VIDEO), chunk_size=100_000)
    uploader.upload_chunk()
    response = requests.delete(uploader.url, headers={**tus.headers, "Tus-Resumable": "1.0.0"})
    assert response.status_code == 204
    assert upload_count() == 0
    assert stored_files(app) == []
    assert requests.head(uploader.url, headers={**tus.headers, "Tus-Resumable": "1.0.0"}).status_code == 404


def test_it_says_what_it_speaks(served):
    response = requests.options(f"{served}/portal/documents/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert response.headers["Tus-Extension"] == "creation,termination"
    assert int(response.headers["Tus-Max-Size"]) == 200 * 1024 * 1024


def test_it_refuses_a_file_of_another_type_once_its_first_bytes_arrive(tus, app):
    html = files.html() * 100
    uploader = tus.uploader(file_stream=io.BytesIO(html), chunk_size=4096)
    with pytest.raises(TusUploadFailed) as failed:
        uploader.upload()
    assert failed.value.status_code == 415
    assert b"This kind of file can't be sent here" in failed.value.response_content
    assert (upload_count(), document_count()) == (0, 0)
    assert stored_files(app) == []


def test_it_refuses_a_file_cut_short_when_its_last_byte_arrives(tus, app):
    uploader = tus.uploader(file_stream=io.BytesIO(VIDEO[:-50]), chunk_size=256 * 1024)
    with pytest.raises(TusUploadFailed) as failed:
        uploader.upload()
    assert failed.value.status_code == 422
    assert b"cut short" in failed.value.response_content
    assert (upload_count(), document_count()) == (0, 0)
    assert stored_files(app) == []


def test_it_refuses_an_upload_larger_than_it_takes(tus, app):
    app.config.update(PORCH_DOCUMENT_MAX_BYTES=100_000, PORCH_VIDEO_MAX_BYTES=512 * 1024)
    with pytest.raises(TusCommunicationError) as failed:
        tus.uploader(file_stream=io.BytesIO(VIDEO)).upload()
    assert failed.value.status_code == 413
    assert failed.value.response_content == (b"This file is 0.95 MB; the most this portal accepts is 0.5 MB "
                                             b"(for a video).")
    assert upload_count() == 0
    assert stored_files(app) == []


def test_it_refuses_a_video_over_the_video_limit_after_its_first_bytes(tus, app):
    app.config["PORCH_VIDEO_MAX_BYTES"] = 512 * 1024
    with pytest.raises(TusUploadFailed) as failed:
        tus.uploader(file_stream=io.BytesIO(VIDEO), chunk_size=100_000).upload()
    assert failed.value.status_code == 413
    assert failed.value.response_content == b"This file is 0.95 MB; the most this portal accepts for a video is 0.5 MB."
    assert (upload_count(), document_count()) == (0, 0)
    assert stored_files(app) == []


def test_it_refuses_a_document_over_the_document_limit_after_its_first_bytes(tus, app):
    app.config["PORCH_DOCUMENT_MAX_BYTES"] = 100_000
    with pytest.raises(TusUploadFailed) as failed:
        tus.uploader(file_stream=io.BytesIO(files.jpeg(300_000)), chunk_size=50_000).upload()
    assert failed.value.status_code == 413
    assert (upload_count(), document_count()) == (0, 0)
    assert stored_files(app) == []


def test_it_keeps_an_upload_within_the_clients_quota(tus, app):
    app.config["PORCH_CLIENT_QUOTA_BYTES"] = 1_500_000
    tus.uploader(file_stream=io.BytesIO(VIDEO)).upload()
    with pytest.raises(TusCommunicationError) as failed:
        tus.uploader(file_stream=io.BytesIO(VIDEO)).upload()
    assert failed.value.status_code == 413
    assert document_count() == 1


@pytest.mark.parametrize(("change", "status"), [
    ({"X-CSRFToken": None}, 400),
    ({"X-CSRFToken": "forged"}, 400),
    ({"Origin": "https://evil.example"}, 403),
    ({"Cookie": None}, 401),
    ({"Tus-Resumable": "0.2.2"}, 412),
])
def test_it_protects_the_upload_endpoints(tus, served, change, status):
    headers = {**tus.headers, "Tus-Resumable": "1.0.0", "Upload-Length": "1000"}
    for name, value in change.items():
        headers.pop(name)
        if value is not None:
            headers[name] = value
    response = requests.post(f"{served}/portal/documents/uploads", headers=headers)
    assert response.status_code == status
    assert upload_count() == 0


def test_it_answers_404_for_another_clients_upload(tus, served, practice):
    uploader = tus.uploader(file_stream=io.BytesIO(VIDEO), chunk_size=100_000)
    uploader.upload_chunk()
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    make_portal_account(ben)
    ben_headers = {**signed_in_headers(served, "ben@example.com"), "Tus-Resumable": "1.0.0"}
    assert requests.head(uploader.url, headers=ben_headers).status_code == 404
    assert requests.delete(uploader.url, headers=ben_headers).status_code == 404
    assert requests.patch(uploader.url, data=b"x", headers={
        **ben_headers, "Upload-Offset": "100000", "Content-Type": "application/offset+octet-stream"}).status_code == 404
    assert upload_count() == 1


def test_it_drops_uploads_left_unfinished_for_a_day(tus, app):
    tus.uploader(file_stream=io.BytesIO(VIDEO), chunk_size=100_000).upload_chunk()
    assert len(stored_files(app)) == 1
    run_sweeps()
    assert upload_count() == 1
    clock.freeze(clock.now() + timedelta(hours=25))
    run_sweeps()
    assert upload_count() == 0
    assert stored_files(app) == []
