"""White-label: with it on, nothing a client can see names the software: no page of the portal (walked by its links,
as the sweeps do), the login page, the error pages, the practice's stylesheet, the calendar file, nor any e-mail."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app import clock
from app.db import db
from app.demo import DEMO_PRACTICE
from app.mail import send_mail
from app.tenancy import Workspace
from tests.branding import images
from tests.conftest import Visitor
from tests.sweeps.conftest import PERSONAS, walk, world  # noqa: F401 (world is a fixture)

PRODUCT = re.compile("porch", re.IGNORECASE)
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')
MAIL_TEMPLATES = sorted(path.name.removesuffix(".subject.txt")
                        for path in (Path(__file__).parents[2] / "app" / "templates" / "mail").glob("*.subject.txt"))


def fetcher(visitor: Visitor):
    def fetch(path: str):
        response = visitor.get(path)
        body = response.get_data().decode(errors="replace")
        return response.status_code, response.content_type or "", body, response.location

    return fetch


def mentions(text: str) -> list[str]:
    return [text[max(0, m.start() - 40):m.end() + 40] for m in PRODUCT.finditer(text)]


def white_labelled(workspace: Workspace) -> None:
    workspace.white_label = True
    db.session.commit()


def problems_on(visitor: Visitor, pages: dict) -> list[str]:
    found = []
    for path, page in pages.items():
        found += [f"{path}: …{shown}…" for shown in mentions(page.body)]
        if page.is_full_html and (stylesheet := STYLESHEET.search(page.body)):
            found += [f"{stylesheet.group(1)} (on {path}): …{shown}…"
                      for shown in mentions(visitor.get(stylesheet.group(1)).get_data(as_text=True))]
    return found


@pytest.fixture
def practice_addresses(environment):
    """Where a white-labelled practice's portal lives and mails from: its own names, as a real one's are (the
    tests' usual porch.test would show up in links, calendar UIDs and Message-IDs)."""
    environment.setenv("PORCH_BASE_URL", "https://portal.harbour.example")
    environment.setenv("MAIL_FROM", "portal@harbour.example")


def test_it_names_no_product_on_any_page_aisha_reaches(practice_addresses, app, world):  # noqa: F811
    white_labelled(db.session.scalar(select(Workspace).where(Workspace.name == DEMO_PRACTICE)))
    aisha = Visitor(app.test_client())
    aisha.login(PERSONAS["aisha"][0], world.password)
    pages = walk(fetcher(aisha), PERSONAS["aisha"][1])
    for extra in ("/portal/no-such-page", "/portal/appointments/999999.ics"):
        pages.update(walk(fetcher(aisha), extra))
    assert len(pages) > 15
    ics = [path for path in pages if path.endswith(".ics")]
    assert ics and all(pages[path].status == 200 for path in ics[:1])
    assert problems_on(aisha, pages) == []


def test_it_names_no_product_on_the_signed_out_pages(practice_addresses, app, world):  # noqa: F811
    """A fresh browser on a Porch with two practices can't know whose login it is: it stays neutral."""
    white_labelled(db.session.scalar(select(Workspace).where(Workspace.name == DEMO_PRACTICE)))
    nobody = Visitor(app.test_client())
    pages = walk(fetcher(nobody), "/portal/login")
    pages.update(walk(fetcher(nobody), "/no-such-page"))
    assert {"/portal/login", "/login/help", "/password/forgot"} <= pages.keys()
    assert problems_on(nobody, pages) == []
    assert "<title>Log in · Client portal</title>" in pages["/portal/login"].body


def test_it_shows_the_practice_on_the_login_page_aisha_signed_out_of(practice_addresses, app, world):  # noqa: F811
    white_labelled(db.session.scalar(select(Workspace).where(Workspace.name == DEMO_PRACTICE)))
    aisha = Visitor(app.test_client())
    aisha.login(PERSONAS["aisha"][0], world.password)
    aisha.post("/logout")
    pages = walk(fetcher(aisha), "/portal/login")
    assert f"<title>Log in · {DEMO_PRACTICE}</title>" in pages["/portal/login"].body
    assert problems_on(aisha, pages) == []


@pytest.mark.parametrize("template", MAIL_TEMPLATES)
def test_it_names_no_product_in_any_email(practice_addresses, smtp_server, practice, app, template):
    from app.branding.logo import prepare_logo
    from app.branding.models import Branding
    from app.branding.service import set_logo

    workspace = practice.workspace
    workspace.white_label = True
    branding = Branding(workspace_id=workspace.id, updated_at=clock.now(), email_signature="Harbour team")
    set_logo(branding, prepare_logo(images.png()))
    db.session.add(branding)
    db.session.commit()
    send_mail("aisha@example.com", template, sender_name=workspace.name, workspace=workspace,
              workspace_id=workspace.id, link="https://portal.harbour.example/portal",
              login_link="https://portal.harbour.example/portal/login", expires_at=clock.now() + timedelta(days=7),
              starts_at=clock.now() + timedelta(days=1), time_zone="America/New_York")
    [message] = smtp_server.to("aisha@example.com")
    whole = message.as_string()
    assert mentions(whole) == []
    assert message["From"] == "Brunswick Practice <portal@harbour.example>"
    assert "X-Mailer" not in message
    html = message.get_body(("html",)).get_content()
    assert f"https://portal.harbour.example/brand/{workspace.id}/logo.png?v={branding.logo_fingerprint}" in html
    assert "Harbour team" in html and "Harbour team" in message.get_body(("plain",)).get_content()
