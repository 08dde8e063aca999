"""The physio pattern in a real browser: Aisha uploads a photo of her form (resumably with JavaScript, in one
piece without), an oversize file gets a clear error, and Carlos shares a home-exercise PDF that she downloads.
Every page is checked with axe-core, with JavaScript on and off."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE
from tests.browser.test_invite_journey import log_in
from tests.documents import files

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])

BIG_PHOTO = files.jpeg(150_000)


@pytest.fixture
def small_limits(environment):
    """Limits small enough that the oversize file is small too: 0.1 MB for documents, photos and plain uploads."""
    for name in ("PORCH_DOCUMENT_MAX_MB", "PORCH_PLAIN_UPLOAD_MAX_MB"):
        environment.setenv(name, "0.1")


@pytest.fixture
def physio(small_limits, aisha_in_the_portal) -> int:
    """Aisha in the portal, in a practice whose upload limits are small."""
    return aisha_in_the_portal


def choose(page: Page, name: str, mime_type: str, data: bytes) -> None:
    page.get_by_label("File to upload").set_input_files({"name": name, "mimeType": mime_type, "buffer": data})


@javascript_on_and_off
def test_it_takes_a_clients_photo_and_shares_a_pdf_that_she_downloads(javascript, physio, live_server, visit,
                                                                        tmp_path: Path):
    aisha = visit.page(javascript, viewport=PHONE)
    log_in(aisha, "aisha@example.com", at="/portal/login")
    aisha.get_by_role("link", name="Documents").click()
    expect(aisha.get_by_role("heading", level=1)).to_have_text("Documents")
    expect(aisha.get_by_role("region", name="Shared with me")).to_contain_text("Nothing shared with you yet.")
    visit.assert_accessible(aisha, "the client's documents")

    aisha.get_by_role("link", name="Upload a file").click()
    expect(aisha.get_by_role("heading", level=1)).to_have_text("Upload a file")
    expect(aisha.get_by_text(re.compile(r"documents and photos up to 0\.1 MB, videos up to 200 MB"))).to_be_visible()
    visit.assert_accessible(aisha, "the upload page")

    choose(aisha, "big.jpg", "image/jpeg", BIG_PHOTO)
    if javascript:
        aisha.get_by_role("button", name="Upload", exact=True).click()
    else:
        with aisha.expect_response(lambda r: r.request.method == "POST") as refused:
            aisha.get_by_role("button", name="Upload", exact=True).click()
        assert refused.value.status == 413
        expect(aisha).to_have_title(re.compile(r"^Error: Upload a file"))
    expect(aisha.get_by_label("File to upload")).to_have_accessible_description(re.compile(
        r"This file is 0\.14 MB; the most this portal accepts for a document or photo is 0\.1 MB\."))
    visit.assert_accessible(aisha, "the upload page with the oversize error")

    choose(aisha, "knee.png", "image/png", files.png())
    if javascript:
        with aisha.expect_response(lambda r: r.request.method == "PATCH") as sent:
            aisha.get_by_role("button", name="Upload", exact=True).click()
        assert sent.value.status == 204
        assert sent.value.headers["upload-offset"] == str(len(files.png()))
    else:
        aisha.get_by_role("button", name="Upload", exact=True).click()
    expect(aisha).to_have_url(f"{live_server.url}/portal/documents")
    expect(aisha.get_by_text("knee.png is uploaded. Your practice can see it now.")).to_be_visible()
    expect(aisha.get_by_role("region", name="My uploads")).to_contain_text("knee.png")
    visit.assert_accessible(aisha, "the client's documents after an upload")

    carlos = visit.page(javascript)
    log_in(carlos, "carlos@brunswick.example")
    carlos.goto(f"/clients/{physio}")
    uploads = carlos.get_by_role("region", name="Documents")
    expect(uploads).to_contain_text("Aisha’s uploads")
    expect(uploads.get_by_role("link", name="knee.png")).to_be_visible()
    preview = uploads.locator("img")
    expect(preview).to_have_count(1)
    assert carlos.evaluate("img => img.complete && img.naturalWidth", preview.element_handle()) == 2
    visit.assert_accessible(carlos, "the client record with documents")

    uploads.get_by_role("link", name="knee.png").click()
    expect(carlos.get_by_role("heading", level=1)).to_have_text("knee.png")
    visit.assert_accessible(carlos, "an uploaded photo")

    carlos.goto(f"/clients/{physio}")
    carlos.get_by_role("link", name="Share a document").click()
    expect(carlos.get_by_role("heading", level=1)).to_have_text("Share a document with Aisha Rahman")
    visit.assert_accessible(carlos, "the share form")
    carlos.get_by_label("Title").fill("Home exercises")
    carlos.get_by_label("Kind").select_option(label="Handout")
    carlos.get_by_label("File", exact=True).set_input_files(
        {"name": "home-exercises.pdf", "mimeType": "application/pdf", "buffer": files.pdf()})
    carlos.get_by_role("button", name="Share").click()
    expect(carlos).to_have_url(re.compile(rf"/clients/{physio}#documents$"))
    expect(carlos.get_by_text("“Home exercises” is shared with Aisha.")).to_be_visible()
    visit.assert_accessible(carlos, "the client record after sharing")

    aisha.goto("/portal/documents")
    shared = aisha.get_by_role("region", name="Shared with me")
    expect(shared).to_contain_text("Home exercises")
    expect(shared).to_contain_text("Handout")
    visit.assert_accessible(aisha, "the client's documents with a shared PDF")
    with aisha.expect_download() as downloading:
        shared.get_by_role("link", name="Download Home exercises").click()
    download = downloading.value
    assert download.suggested_filename == "home-exercises.pdf"
    saved = tmp_path / "saved.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == files.pdf()
    visit.assert_no_csp_reports()
