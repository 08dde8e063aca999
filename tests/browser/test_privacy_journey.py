"""Aisha sees who at her practice opened her PHQ-9, then exports her data and the zip holds her messages and her
upload. Every page is checked with axe-core, with JavaScript on and off."""

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from app.db import db
from app.documents.service import receive_upload_part, start_upload
from app.forms.service import send_form
from app.inbox.service import start_conversation
from tests.browser.conftest import PHONE, carlos_and_aisha
from tests.browser.test_invite_journey import log_in
from tests.documents import files
from tests.forms.test_views import submitted

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
MESSAGE = "Here is the sleep diary you asked for."


@pytest.fixture
def aisha_with_a_phq9(live_server) -> tuple[int, int]:
    """Aisha with a sent-back PHQ-9, a message from Carlos and a photo she uploaded: (her id, the PHQ-9's id)."""
    _, aisha_id = carlos_and_aisha(live_server.app)
    with live_server.app.app_context():
        from app.auth.models import User
        from app.clients.models import Client

        aisha = db.session.get(Client, aisha_id)
        carlos = aisha.care_team[0]
        form = send_form(aisha, carlos, "builtin:phq9")
        submitted(form, {f"q{n}": "1" for n in range(1, 10)})
        start_conversation(carlos, [aisha], MESSAGE, "22222222-2222-4222-8222-222222222222")
        account = db.session.scalar(db.select(User).where(User.client_id == aisha.id))
        upload = start_upload(aisha, account, length=len(files.png()), file_name="knee.png")
        db.session.commit()
        receive_upload_part(upload, 0, io.BytesIO(files.png()), len(files.png()))
        db.session.commit()
        return aisha.id, form.id


@javascript_on_and_off
def test_it_shows_aisha_who_opened_her_phq9_and_exports_her_data(javascript, aisha_with_a_phq9, live_server, visit,
                                                                  tmp_path):
    aisha_id, form_id = aisha_with_a_phq9
    carlos = visit.page(javascript)
    log_in(carlos, "carlos@brunswick.example")
    carlos.goto(f"/clients/{aisha_id}/forms/{form_id}")
    expect(carlos.get_by_role("heading", level=1)).to_contain_text("PHQ-9")

    aisha = visit.page(javascript, viewport=PHONE)
    log_in(aisha, "aisha@example.com", at="/portal/login")
    aisha.get_by_role("link", name="Account").click()
    expect(aisha.get_by_role("heading", level=1)).to_have_text("Account")
    visit.assert_accessible(aisha, "the client's account page")
    aisha.get_by_role("link", name="Who viewed my records").click()
    expect(aisha.get_by_role("heading", level=1)).to_have_text("Who viewed my records")
    viewed = re.compile(r"Carlos Diaz opened your PHQ-9 answers on \w+day \d+ \w+ at ")
    expect(aisha.get_by_text(viewed)).to_be_visible()
    visit.assert_accessible(aisha, "who viewed my records")

    aisha.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    aisha.get_by_role("link", name="Export my data").click()
    expect(aisha.get_by_role("heading", level=1)).to_have_text("Export my data")
    visit.assert_accessible(aisha, "the export page")
    aisha.get_by_role("button", name="Export my data").click()
    download_link = aisha.get_by_role("link", name="Download my data")
    if javascript:
        expect(download_link).to_be_visible(timeout=20_000)  # htmx polls the status until the zip is ready
    else:
        for _ in range(40):
            if download_link.count():
                break
            aisha.wait_for_timeout(500)
            aisha.reload()
        expect(download_link).to_be_visible()
    visit.assert_accessible(aisha, "the export page with the zip ready")

    with aisha.expect_download() as downloading:
        download_link.click()
    saved = tmp_path / "export.zip"
    downloading.value.save_as(saved)
    archive = zipfile.ZipFile(saved)
    assert MESSAGE in json.dumps(json.loads(archive.read("messages.json")), ensure_ascii=False)
    (upload,) = [name for name in archive.namelist() if name.startswith("files/my-uploads/")]
    assert upload.endswith("knee.png") and archive.read(upload) == files.png()
    visit.assert_no_csp_reports()
