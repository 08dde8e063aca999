"""Key rotation as the README tells an operator to do it, with documents uploaded and shared beforehand.

New key first in PORCH_ENCRYPTION_KEYS, restart, `flask --app app porch rotate-keys`, drop the old key:
every document must still open, byte for byte.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.db import db
from app.documents.models import Document
from app.documents.storage import LocalStorage
from tests.conftest import ROOT, TEST_KEYS, Visitor
from tests.documents import files
from tests.documents.conftest import a_file, share_form

NEW_KEY = Fernet.generate_key().decode()


def upload_and_share(practice, aisha_online, as_user) -> dict[int, bytes]:
    """A handout Carlos shares and a photo and a scan Aisha uploads: {document id: the bytes as sent}."""
    carlos, aisha = as_user(practice.carlos), as_user(aisha_online.account)
    sent = [files.pdf(3), files.png(8, 8), files.jpeg(200_000)]
    assert carlos.post(f"/clients/{practice.aisha.id}/documents/new",
                       share_form(file=a_file(sent[0], "exercises.pdf"))).status_code == 303
    assert aisha.post("/portal/documents/upload", {"file": a_file(sent[1], "knee.png")}).status_code == 303
    assert aisha.post("/portal/documents/upload", {"file": a_file(sent[2], "scan.jpg")}).status_code == 303
    ids = db.session.scalars(select(Document.id).order_by(Document.id)).all()
    return dict(zip(ids, sent, strict=True))


def restart(environment, make_app, *keys: str):
    """A new Porch process reading PORCH_ENCRYPTION_KEYS again (the same database and document store)."""
    environment.setenv("PORCH_ENCRYPTION_KEYS", ",".join(keys))
    return make_app()


def rotate_keys_as_the_readme_says() -> subprocess.CompletedProcess:
    """`flask --app app porch rotate-keys`, a process of its own with the environment as it is now."""
    return subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "app", "porch", "rotate-keys"],
                          cwd=ROOT, env={**os.environ}, capture_output=True, text=True, timeout=120)


def rotate_keys(app, *options: str):
    """`flask --app app porch rotate-keys` run by that process (its own app context, not the test's)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["porch", "rotate-keys", *options])


def downloads(app, email: str, documents: dict[int, bytes]) -> dict[int, bytes]:
    with app.app_context():
        aisha = Visitor(app.test_client())
        aisha.login(email)
        found = {}
        for document_id in documents:
            answer = aisha.get(f"/portal/documents/{document_id}/file?download=1")
            found[document_id] = answer.data if answer.status_code == 200 else answer.status_code
        return found


def test_it_keeps_every_document_readable_after_the_readme_rotation(practice, aisha_online, as_user, environment,
                                                                    make_app):
    sent = upload_and_share(practice, aisha_online, as_user)

    environment.setenv("PORCH_ENCRYPTION_KEYS", f"{NEW_KEY},{','.join(TEST_KEYS)}")
    rotated = rotate_keys_as_the_readme_says()
    assert rotated.returncode == 0, rotated.stderr

    only_new = restart(environment, make_app, NEW_KEY)
    assert downloads(only_new, aisha_online.account.email, sent) == sent
    assert "documents (stored files): 3 files re-wrapped, 0 already under the newest key, 0 failed" in rotated.stdout
    assert "Done: everything is under the newest key" in rotated.stdout


def test_it_finds_nothing_left_to_do_on_a_second_run(practice, aisha_online, as_user, environment, make_app):
    upload_and_share(practice, aisha_online, as_user)
    both = restart(environment, make_app, NEW_KEY, *TEST_KEYS)
    assert rotate_keys(both).exit_code == 0

    again = rotate_keys(both)
    assert again.exit_code == 0, again.output
    assert "documents (stored files): 0 files re-wrapped, 3 already under the newest key, 0 failed" in again.output
    assert "clients (phone, birth_date): 0 rows re-encrypted, 1 already under the newest key, 0 failed" \
        in again.output
    assert "Nothing left to do: everything is under the newest key." in again.output


def test_it_carries_on_after_a_run_cut_short(practice, aisha_online, as_user, environment, make_app, monkeypatch):
    sent = upload_and_share(practice, aisha_online, as_user)
    both = restart(environment, make_app, NEW_KEY, *TEST_KEYS)
    replace_head = LocalStorage.replace_head

    def power_cut_after_the_first_file(store, key, head):
        replace_head(store, key, head)
        raise SystemExit("power cut")

    monkeypatch.setattr(LocalStorage, "replace_head", power_cut_after_the_first_file)
    cut_short = rotate_keys(both, "--batch-size", "1")
    assert cut_short.exit_code != 0
    monkeypatch.setattr(LocalStorage, "replace_head", replace_head)

    resumed = rotate_keys(both, "--batch-size", "1")
    assert resumed.exit_code == 0, resumed.output
    assert "documents (stored files): 2 files re-wrapped, 1 already under the newest key, 0 failed" \
        in resumed.output
    only_new = restart(environment, make_app, NEW_KEY)
    assert downloads(only_new, aisha_online.account.email, sent) == sent


def test_it_names_a_missing_file_and_keeps_the_old_key_needed(practice, aisha_online, as_user, environment,
                                                             make_app):
    sent = upload_and_share(practice, aisha_online, as_user)
    gone = db.session.get(Document, next(iter(sent)))
    LocalStorage(make_app().config["PORCH_STORAGE_DIR"]).delete(gone.storage_key)
    both = restart(environment, make_app, NEW_KEY, *TEST_KEYS)

    rotated = rotate_keys(both)
    assert rotated.exit_code == 1
    assert f"document {gone.id}: the stored file is missing" in rotated.output
    assert "keep the old key until they are fixed" in rotated.output


@pytest.mark.parametrize("sent_so_far", [0, 70_000])
def test_it_rewraps_an_upload_in_progress_so_that_it_can_carry_on(practice, aisha_online, environment, make_app,
                                                                  sent_so_far):
    from app.documents.service import receive_upload_part, start_upload

    data = files.jpeg(150_000)
    upload = start_upload(practice.aisha, aisha_online.account, length=len(data), file_name="scan.jpg")
    db.session.commit()
    if sent_so_far:
        import io

        receive_upload_part(upload, 0, io.BytesIO(data[:sent_so_far]), sent_so_far)
    both = restart(environment, make_app, NEW_KEY, *TEST_KEYS)
    rotated = rotate_keys(both)
    assert "uploads in progress (stored files): 1 files re-wrapped" in rotated.output, rotated.output

    only_new = restart(environment, make_app, NEW_KEY)
    with only_new.app_context():
        import io

        from app.documents.models import DocumentUpload

        upload = db.session.get(DocumentUpload, upload.id)
        rest = data[sent_so_far:]
        document = receive_upload_part(upload, sent_so_far, io.BytesIO(rest), len(rest))
        assert document is not None
        document_id = document.id
    assert downloads(only_new, aisha_online.account.email, {document_id: data}) == {document_id: data}
