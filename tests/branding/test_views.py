import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.branding.models import Branding
from app.db import db
from tests.branding import images
from tests.conftest import make_portal_account

GOOD = {"name": "Harbour Physio", "brand_colour": "#2e6b4f", "portal_welcome": "Hello from the harbour.",
        "email_signature": "Harbour Physio · 1 Quay St"}


def branding_form(logo: bytes | None = None, filename: str = "logo.png", **fields) -> dict:
    data = {**GOOD, **fields}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), filename)
    return data


def branding_of(practice) -> Branding | None:
    db.session.expire_all()
    return db.session.get(Branding, practice.workspace.id)


def test_it_lets_an_owner_set_name_logo_colour_welcome_and_signature(practice, as_user):
    owner = as_user(practice.owner)
    response = owner.post("/settings/branding", branding_form(images.png(), white_label="y"),
                          content_type="multipart/form-data")
    assert response.status_code == 303
    workspace = practice.workspace
    db.session.refresh(workspace)
    assert (workspace.name, workspace.brand_colour, workspace.white_label) == ("Harbour Physio", "#2e6b4f", True)
    saved = branding_of(practice)
    assert saved.portal_welcome == "Hello from the harbour." and saved.email_signature == "Harbour Physio · 1 Quay St"
    assert Image.open(io.BytesIO(saved.logo_png)).size == (192, 64)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.branding_changed"))
    page = owner.get("/settings/branding").get_data(as_text=True)
    assert "Branding saved." in page and f"logo.png?v={saved.logo_fingerprint}" in page


def test_it_lets_an_admin_open_branding_and_forbids_practitioners(practice, as_user):
    assert as_user(practice.admin).get("/settings/branding").status_code == 200
    carlos = as_user(practice.carlos)
    assert carlos.get("/settings/branding").status_code == 403
    assert carlos.post("/settings/branding", branding_form(), content_type="multipart/form-data").status_code == 403
    db.session.refresh(practice.workspace)
    assert practice.workspace.name == "Brunswick Practice"


@pytest.mark.parametrize(("upload", "filename", "status", "words"), [
    pytest.param(images.SVG, "logo.svg", 415, "t a PNG, JPEG or WebP image", id="svg"),
    pytest.param(images.gif(), "logo.gif", 415, "t a PNG, JPEG or WebP image", id="gif"),
    pytest.param(images.png_bomb(20_000), "bomb.png", 413, "a logo may have at most 4096 × 4096", id="bomb"),
    pytest.param(b"\x89PNG" + b"\x00" * (2 * 1024 * 1024 + 10), "big.png", 413, "larger than 2 MB", id="big"),
    pytest.param(b"\x89PNG" + b"\x00" * (5 * 1024 * 1024), "huge.png", 413, "larger than 2 MB", id="huge"),
])
def test_it_refuses_a_bad_logo_next_to_the_field_and_saves_nothing(practice, as_user, upload, filename, status,
                                                                    words):
    owner = as_user(practice.owner)
    response = owner.post("/settings/branding", branding_form(upload, filename), content_type="multipart/form-data")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert re.search(r'<p class="error" id="logo-error">[^<]*' + re.escape(words), page), page
    db.session.refresh(practice.workspace)
    assert practice.workspace.name == "Brunswick Practice"
    assert branding_of(practice) is None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "settings.branding_changed")) == 0


def test_it_refuses_a_colour_white_text_cannot_be_read_on_and_suggests_the_nearest(practice, as_user):
    response = as_user(practice.owner).post("/settings/branding", branding_form(brand_colour="#FFCC00"),
                                            content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "White text on #ffcc00 has a contrast of 1.5:1; it needs at least 4.5:1" in page
    assert "The nearest colour that passes is #907300." in page
    db.session.refresh(practice.workspace)
    assert practice.workspace.brand_colour == "#1f5f8b"


def test_it_refuses_a_colour_that_is_not_hex(practice, as_user):
    response = as_user(practice.owner).post("/settings/branding", branding_form(brand_colour="green"),
                                            content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Write the colour as # and six hex digits" in response.get_data(as_text=True)


def test_it_needs_the_csrf_token(practice, as_user):
    response = as_user(practice.owner).post("/settings/branding", branding_form(), csrf=False,
                                            content_type="multipart/form-data")
    assert response.status_code == 400


def test_it_keeps_the_logo_when_none_is_chosen_and_removes_it_when_asked(practice, as_user):
    owner = as_user(practice.owner)
    owner.post("/settings/branding", branding_form(images.png()), content_type="multipart/form-data")
    fingerprint = branding_of(practice).logo_fingerprint
    owner.post("/settings/branding", branding_form(), content_type="multipart/form-data")
    assert branding_of(practice).logo_fingerprint == fingerprint
    owner.post("/settings/branding", branding_form(remove_logo="y"), content_type="multipart/form-data")
    assert branding_of(practice).logo_png is None


def test_it_serves_the_logo_and_stylesheet_fingerprinted_and_cached_a_year(practice, as_user, visitor):
    as_user(practice.owner).post("/settings/branding", branding_form(images.png()),
                                 content_type="multipart/form-data")
    aisha = make_portal_account(practice.aisha)
    home = as_user(aisha).get("/portal").get_data(as_text=True)
    logo_url = re.search(r'src="(/brand/\d+/logo\.png\?v=[0-9a-f]{16})"', home).group(1)
    css_url = re.search(r'href="(/brand/\d+/style\.css\?v=[0-9a-f]{12})"', home).group(1)
    for url, mimetype in ((logo_url, "image/png"), (css_url, "text/css")):
        response = visitor.get(url)
        assert response.status_code == 200 and response.mimetype == mimetype
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Set-Cookie" not in response.headers and "Cookie" not in response.vary
    assert b"--accent: #2e6b4f;" in visitor.get(css_url).data
    assert "Hello from the harbour." in home
    stale = visitor.get(logo_url.replace("?v=", "?v=0"))
    assert stale.status_code == 302 and stale.location.endswith(logo_url)


def test_it_answers_404_for_a_practice_without_a_logo(practice, visitor):
    assert visitor.get(f"/brand/{practice.workspace.id}/logo.png").status_code == 404
    assert visitor.get("/brand/999999/style.css").status_code == 404


def test_it_shows_the_practice_on_the_login_page_after_signing_out(practice, outsider, as_user):
    as_user(practice.owner).post("/settings/branding", branding_form(), content_type="multipart/form-data")
    aisha = as_user(make_portal_account(practice.aisha))
    aisha.post("/logout")
    login = aisha.get("/portal/login").get_data(as_text=True)
    assert "<title>Log in · Harbour Physio</title>" in login


def test_it_shows_the_only_practice_on_a_fresh_login_page(practice, visitor):
    assert "<title>Log in · Brunswick Practice</title>" in visitor.get("/login").get_data(as_text=True)


def test_it_stores_an_uploaded_jpeg_as_a_png_without_its_exif(practice, as_user):
    response = as_user(practice.owner).post("/settings/branding", branding_form(images.jpeg_with_exif(), "me.jpg"),
                                            content_type="multipart/form-data")
    assert response.status_code == 303
    stored = branding_of(practice).logo_png
    assert stored.startswith(b"\x89PNG") and b"Dr Secret Artist" not in stored and b"Exif" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()
