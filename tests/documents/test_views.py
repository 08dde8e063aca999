"""Sharing documents with a client, the client's plain (one-piece) uploads, and who may open what."""

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import db
from app.documents.file_types import sniff
from app.documents.models import Document
from app.documents.service import share_document
from tests.conftest import _forget_request_state, make_client, make_portal_account, run_jobs
from tests.documents import files
from tests.documents.conftest import a_file, document_count, share_form, stored_files


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def share_pdf(visitor, client, name="home-exercises.pdf", **fields):
    return visitor.post(f"/clients/{client.id}/documents/new",
                        share_form(file=a_file(files.pdf(), name), **fields))


# --- staff share ---------------------------------------------------------------------------------

def test_it_shares_a_pdf_that_the_client_then_downloads(practice, aisha_online, as_user):
    carlos = as_user(practice.carlos)
    response = share_pdf(carlos, practice.aisha)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/clients/{practice.aisha.id}#documents"
    record = carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert "“Home exercises” is shared with Aisha." in record
    assert "Home exercises" in record and "Handout" in record
    document = db.session.scalar(select(Document))
    assert (document.origin, document.kind, document.content_type) == ("practice", "handout", "application/pdf")

    aisha = as_user(aisha_online.account)
    page = aisha.get("/portal/documents").get_data(as_text=True)
    assert "Shared with me" in page and "Home exercises" in page
    download = aisha.get(f"/portal/documents/{document.id}/file?download=1")
    assert download.status_code == 200
    assert download.data == files.pdf()
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="home-exercises.pdf"')
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_it_shares_a_note_written_in_porch(practice, aisha_online, as_user):
    note = "Keep the knee over the ankle.\nTwo sets a day — no more."
    response = as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/documents/new",
                                             share_form(title="Session 3 summary", kind="session_summary", note=note))
    assert response.status_code == 303
    document = db.session.scalar(select(Document))
    assert (document.content_type, document.kind_label) == ("text/plain", "Session summary")
    opened = as_user(aisha_online.account).get(f"/portal/documents/{document.id}/file")
    assert opened.get_data(as_text=True) == note
    assert opened.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert opened.headers["Content-Disposition"].startswith('inline; filename="Session 3 summary.txt"')


def test_it_e_mails_the_client_without_naming_the_document(smtp_server, practice, aisha_online, as_user, app):
    share_pdf(as_user(practice.carlos), practice.aisha, title="HIV test result", kind="lab_result")
    run_jobs(app)
    [message] = smtp_server.to("aisha@example.com")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert message["Subject"] == "Something new from Brunswick Practice"
    assert "http://porch.test/portal/documents" in text
    for secret in ("HIV", "result", "Lab", "Aisha", "Rahman", "Carlos", "exercises"):
        assert secret not in text and secret not in html and secret not in message["Subject"]


def test_it_shares_a_note_that_looks_like_markup_as_plain_text(practice, aisha_online, as_user):
    note = "<3 Great work today. <b>Keep going</b>"
    as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/documents/new", share_form(note=note))
    document = db.session.scalar(select(Document))
    opened = as_user(aisha_online.account).get(f"/portal/documents/{document.id}/file")
    assert opened.get_data(as_text=True) == note
    assert opened.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert opened.headers["X-Content-Type-Options"] == "nosniff"


def test_it_makes_one_document_from_a_double_submit(practice, as_user):
    carlos = as_user(practice.carlos)
    form = share_form(note="Same note")
    assert carlos.post(f"/clients/{practice.aisha.id}/documents/new", form).status_code == 303
    assert carlos.post(f"/clients/{practice.aisha.id}/documents/new", form).status_code == 303
    assert document_count() == 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"title": ""}, "Give the document a title."),
    ({"title": "x" * 121}, "Field cannot be longer than 120 characters."),
    ({"kind": "prescription"}, "Not a valid choice."),
    ({"note": ""}, "Choose a file, or write a note below."),
])
def test_it_shows_each_bad_field_next_to_it_and_keeps_nothing(practice, as_user, app, fields, message):
    response = as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/documents/new",
                                             share_form(**{"note": "A note", **fields}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert document_count() == 0
    assert stored_files(app) == []


def test_it_refuses_a_file_and_a_note_together(practice, as_user, app):
    response = share_pdf(as_user(practice.carlos), practice.aisha, note="and a note")
    assert response.status_code == 422
    assert "Share either a file or a note, not both." in response.get_data(as_text=True)
    assert document_count() == 0
    assert stored_files(app) == []


def test_it_refuses_a_share_without_the_csrf_token_and_keeps_nothing(practice, as_user, app):
    form = share_form(file=a_file(files.pdf(), "x.pdf"))
    response = as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/documents/new", form, csrf=False)
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
    assert document_count() == 0
    assert stored_files(app) == []


def test_it_stops_sharing(practice, aisha_online, as_user):
    carlos = as_user(practice.carlos)
    share_pdf(carlos, practice.aisha)
    document = db.session.scalar(select(Document))
    response = carlos.post(f"/clients/{practice.aisha.id}/documents/{document.id}/unshare")
    assert response.status_code == 303
    assert "is no longer shared with Aisha" in carlos.get(response.headers["Location"]).get_data(as_text=True)
    aisha = as_user(aisha_online.account)
    assert "Home exercises" not in aisha.get("/portal/documents").get_data(as_text=True)
    assert aisha.get(f"/portal/documents/{document.id}/file").status_code == 404


# --- who may open what ---------------------------------------------------------------------------

def test_it_answers_404_for_another_clients_document(practice, aisha_online, as_user):
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    share_pdf(as_user(practice.carlos), ben)
    document = db.session.scalar(select(Document))
    aisha = as_user(aisha_online.account)
    assert aisha.get(f"/portal/documents/{document.id}/file").status_code == 404
    assert "Home exercises" not in aisha.get("/portal/documents").get_data(as_text=True)


def test_it_answers_404_for_another_workspaces_document(practice, outsider, as_user):
    share_pdf(as_user(outsider.owner), outsider.client)
    document = db.session.scalar(select(Document))
    owner = as_user(practice.owner)
    assert owner.get(f"/clients/{outsider.client.id}/documents/{document.id}").status_code == 404
    assert owner.get(f"/clients/{practice.aisha.id}/documents/{document.id}").status_code == 404
    assert owner.get(f"/clients/{practice.aisha.id}/documents/{document.id}/file").status_code == 404
    assert owner.post(f"/clients/{practice.aisha.id}/documents/{document.id}/unshare").status_code == 404
    assert owner.post(f"/clients/{outsider.client.id}/documents/new", share_form(note="x")).status_code == 404
    make_portal_account(practice.aisha)
    assert as_user(practice.aisha.account).get(f"/portal/documents/{document.id}/file").status_code == 404


def test_it_hides_documents_from_a_practitioner_not_on_the_care_team(practice, as_user):
    share_pdf(as_user(practice.carlos), practice.aisha)
    document = db.session.scalar(select(Document))
    priya = as_user(practice.priya)
    assert priya.get(f"/clients/{practice.aisha.id}/documents/{document.id}").status_code == 404
    assert priya.get(f"/clients/{practice.aisha.id}/documents/{document.id}/file").status_code == 404
    assert priya.get(f"/clients/{practice.aisha.id}/documents/new").status_code == 404


def test_it_keeps_clients_out_of_staff_document_pages(practice, aisha_online, as_user):
    share_pdf(as_user(practice.carlos), practice.aisha)
    document = db.session.scalar(select(Document))
    aisha = as_user(aisha_online.account)
    assert aisha.get(f"/clients/{practice.aisha.id}/documents/{document.id}/file").status_code == 404


def test_it_audits_every_view_and_download_by_staff(practice, as_user):
    carlos = as_user(practice.carlos)
    share_pdf(carlos, practice.aisha)
    document = db.session.scalar(select(Document))
    base = f"/clients/{practice.aisha.id}/documents/{document.id}"
    carlos.get(base)
    carlos.get(base + "/file")
    carlos.get(base + "/file?download=1")
    assert actions()[-4:] == ["document.shared", "document.viewed", "document.opened", "document.downloaded"]
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert (event.actor_user_id, event.client_id) == (practice.carlos.id, practice.aisha.id)


# --- the client's plain upload -------------------------------------------------------------------

def upload(visitor, data: bytes, name: str, **kwargs):
    return visitor.post("/portal/documents/upload", {"file": a_file(data, name)}, **kwargs)


def test_it_takes_a_photo_uploaded_in_one_piece(practice, aisha_online, as_user):
    aisha = as_user(aisha_online.account)
    page = aisha.get("/portal/documents/upload").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert "PDF, Word (.docx), OpenDocument (.odt), RTF, JPEG, PNG, HEIC, WebP, MP4, MOV, WebM or plain text " \
           "files; documents and photos up to 25 MB, videos up to 200 MB." in page
    response = upload(aisha, files.png(), "knee.png")
    assert response.status_code == 303
    listed = aisha.get("/portal/documents").get_data(as_text=True)
    assert "knee.png is uploaded." in listed
    assert "knee.png" in listed
    document = db.session.scalar(select(Document))
    assert (document.origin, document.content_type, document.size) == ("client", "image/png", len(files.png()))
    record = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert "knee.png" in record
    assert f'<img src="/clients/{practice.aisha.id}/documents/{document.id}/file"' in record


def test_it_decides_the_type_by_content_not_by_name(practice, aisha_online, as_user, app):
    aisha = as_user(aisha_online.account)
    response = upload(aisha, files.html(), "scan.pdf")
    assert response.status_code == 415
    assert "This kind of file can&#39;t be sent here." in response.get_data(as_text=True)
    assert upload(aisha, files.png(), "notes.txt").status_code == 303
    assert db.session.scalar(select(Document.content_type)) == "image/png"


@pytest.mark.parametrize(("data", "name"), [(files.docx(), "referral.docx"), (files.odt(), "history.odt"),
                                            (files.rtf(), "discharge.rtf")])
def test_it_takes_word_processor_files_and_always_serves_them_as_downloads(practice, aisha_online, as_user, data,
                                                                          name):
    aisha = as_user(aisha_online.account)
    assert upload(aisha, data, name.replace(".", "-") + ".bin").status_code == 303
    document = db.session.scalar(select(Document))
    assert document.content_type == sniff(data)
    for visitor, url in ((aisha, f"/portal/documents/{document.id}/file"),
                         (as_user(practice.carlos), f"/clients/{practice.aisha.id}/documents/{document.id}/file")):
        response = visitor.get(url)
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment;"), url
        assert response.get_data() == data


@pytest.mark.parametrize(("data", "status", "message"), [
    (files.docx()[:-30], 422, "This file seems to be cut short"),
    (b"", 422, "This file is empty. Choose another file."),
    (files.pdf()[:-8], 422, "This file seems to be cut short"),
    (files.svg(), 415, "This kind of file can&#39;t be sent here."),
])
def test_it_refuses_bad_files_and_leaves_nothing_behind(practice, aisha_online, as_user, app, data, status, message):
    response = upload(as_user(aisha_online.account), data, "file.pdf")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert document_count() == 0
    assert stored_files(app) == []


def test_it_asks_for_a_file_when_none_was_chosen(practice, aisha_online, as_user, app):
    response = as_user(aisha_online.account).post("/portal/documents/upload", {"file": a_file(b"", "")})
    assert response.status_code == 422
    assert "Choose a file to upload." in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_it_answers_an_oversize_upload_with_413_and_a_clear_page(practice, aisha_online, as_user, app):
    app.config["PORCH_PLAIN_UPLOAD_MAX_BYTES"] = 100_000
    response = upload(as_user(aisha_online.account), files.jpeg(300_000), "big.jpg")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "the most you can send here is 0.1 MB. Choose a smaller file." in page
    assert "<h1>Upload a file</h1>" in page
    assert document_count() == 0
    assert stored_files(app) == []


def test_it_answers_a_document_over_its_type_limit_with_413(practice, aisha_online, as_user, app):
    app.config["PORCH_DOCUMENT_MAX_BYTES"] = 50_000
    response = upload(as_user(aisha_online.account), files.jpeg(60_000), "big.jpg")
    assert response.status_code == 413
    assert "the most this portal accepts for a document or photo is 0.05 MB" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_it_keeps_each_client_within_their_quota(practice, aisha_online, as_user, app):
    app.config["PORCH_CLIENT_QUOTA_BYTES"] = 6000
    aisha = as_user(aisha_online.account)
    assert upload(aisha, files.jpeg(4000), "one.jpg").status_code == 303
    response = upload(aisha, files.jpeg(4000), "two.jpg")
    assert response.status_code == 413
    assert "of your 0.01 MB of space is left" in response.get_data(as_text=True)
    assert document_count() == 1
    assert len(stored_files(app)) == 1


def test_it_refuses_an_upload_without_the_csrf_token_and_keeps_nothing(practice, aisha_online, as_user, app):
    response = upload(as_user(aisha_online.account), files.png(), "knee.png", csrf=False)
    assert response.status_code == 400
    assert document_count() == 0
    assert stored_files(app) == []


def test_it_keeps_staff_out_of_the_client_upload_page(practice, as_user):
    assert as_user(practice.carlos).get("/portal/documents/upload").status_code == 404


# --- what a download looks like ------------------------------------------------------------------

def shared(practice, name: str, data: bytes = None) -> Document:
    from app.documents.sealing import SealingStream
    from app.documents.storage import storage

    store = storage()
    stream = SealingStream(store, store.new_key())
    stream.write(data or files.pdf())
    stream.finish()
    document = share_document(practice.aisha, practice.carlos, title="T", kind="other", request_key=None,
                              file_name=name, upload=stream)
    db.session.commit()
    return document


@pytest.mark.parametrize(("name", "plain", "encoded"), [
    ("../../etc/passwd.pdf", "passwd.pdf", "passwd.pdf"),
    ("..\\..\\boot.ini", "boot.pdf", "boot.pdf"),
    ('say "hi"; evil=1.pdf', "say hi_ evil_1.pdf", "say%20hi%3B%20evil%3D1.pdf"),
    ("Übungen für Zuhause.pdf", "Ubungen fur Zuhause.pdf", "%C3%9Cbungen%20f%C3%BCr%20Zuhause.pdf"),
    ("日本語.pdf", "document.pdf", "%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf"),
    ("report\r\nSet-Cookie: x=1.pdf", "reportSet-Cookie x_1.pdf", "reportSet-Cookie%20x%3D1.pdf"),
    ("page.html", "page.pdf", "page.pdf"),
    ("", "document.pdf", "document.pdf"),
])
def test_it_gives_downloads_safe_names(practice, aisha_online, as_user, name, plain, encoded):
    document = shared(practice, name)
    response = as_user(aisha_online.account).get(f"/portal/documents/{document.id}/file?download=1")
    assert response.headers["Content-Disposition"] == \
        f"attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}"


def test_it_never_serves_markup_inline(practice, aisha_online, as_user):
    document = shared(practice, "drawing.svg")
    document.content_type = "image/svg+xml"  # as if a row had been written by something else
    db.session.commit()
    response = as_user(aisha_online.account).get(f"/portal/documents/{document.id}/file")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def ranged(visitor, url: str, byte_range: str):
    _forget_request_state()
    return visitor.client.get(url, headers={"Range": byte_range})


def test_it_plays_video_by_byte_ranges_and_audits_one_viewing(practice, as_user):
    video = files.mp4(300_000)
    document = shared(practice, "squat.mp4", video)
    carlos = as_user(practice.carlos)
    url = f"/clients/{practice.aisha.id}/documents/{document.id}/file"
    first = ranged(carlos, url, "bytes=0-99")
    assert first.status_code == 206
    assert first.data == video[:100]
    assert first.headers["Content-Range"] == f"bytes 0-99/{len(video)}"
    assert first.headers["Accept-Ranges"] == "bytes"
    later = ranged(carlos, url, "bytes=70000-")
    assert later.status_code == 206 and later.data == video[70000:]
    assert ranged(carlos, url, f"bytes={len(video) + 5}-").status_code == 416
    assert actions().count("document.opened") == 1
    page = carlos.get(f"/clients/{practice.aisha.id}/documents/{document.id}").get_data(as_text=True)
    assert f'<video controls preload="metadata" src="{url}"' in page


def test_it_loads_the_upload_script_on_the_upload_page_alone(practice, aisha_online, as_user):
    aisha = as_user(aisha_online.account)
    assert "uploads.js" in aisha.get("/portal/documents/upload").get_data(as_text=True)
    for page in ("/portal", "/portal/documents"):
        assert "uploads.js" not in aisha.get(page).get_data(as_text=True)
