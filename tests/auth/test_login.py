from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import UserSession
from app.db import db
from tests.conftest import PASSWORD


def test_it_logs_staff_in_and_lands_on_clients(practice, visitor):
    response = visitor.post("/login", {"email": "carlos@brunswick.example", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/clients"
    assert "Clients" in visitor.get("/clients").get_data(as_text=True)


def test_it_accepts_the_address_in_any_case(practice, visitor):
    response = visitor.post("/login", {"email": "  Carlos@Brunswick.EXAMPLE ", "password": PASSWORD})
    assert response.status_code == 303


def test_it_refuses_a_wrong_password_next_to_the_field(practice, visitor):
    response = visitor.post("/login", {"email": "carlos@brunswick.example", "password": "wrong-password-here"})
    assert response.status_code == 422
    assert "don&#39;t match an account" in response.get_data(as_text=True)
    assert visitor.get("/clients").status_code == 302


def test_it_says_the_same_for_an_unknown_address(practice, visitor):
    response = visitor.post("/login", {"email": "nobody@example.com", "password": PASSWORD})
    assert response.status_code == 422
    assert "don&#39;t match an account" in response.get_data(as_text=True)


def test_it_asks_for_missing_fields(practice, visitor):
    response = visitor.post("/login", {"email": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your e-mail address." in page
    assert "Enter your password." in page


def test_it_audits_logins_and_failures(practice, visitor):
    visitor.post("/login", {"email": "carlos@brunswick.example", "password": "wrong-password-here"})
    visitor.login("carlos@brunswick.example")
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["login.failed", "login"]


def test_it_rotates_the_session_on_login(practice, visitor):
    visitor.get("/login")
    before = visitor.client.get_cookie("porch_session").value
    visitor.login("carlos@brunswick.example")
    after = visitor.client.get_cookie("porch_session").value
    assert before != after
    assert db.session.scalar(select(UserSession).where(UserSession.ended_at.is_(None))) is not None


def test_it_ends_the_session_on_logout(practice, as_user):
    carlos = as_user(practice.carlos)
    cookie = carlos.client.get_cookie("porch_session").value
    assert carlos.post("/logout").status_code == 303
    assert carlos.get("/clients").status_code == 302
    carlos.client.set_cookie("porch_session", cookie)  # a copied cookie is useless after logout
    assert carlos.get("/clients").status_code == 302


LOGIN_URLS = ["/login", "/portal/login"]

# `next` as the view receives it (the query string decoded once), for a browser that reads a Location as WHATWG does.
LEAVES_THE_SITE = [
    "//evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "\t//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "\\/evil.example/",
    "/\\/evil.example/",
    "///evil.example/",
    "////evil.example/",
    "%2F%2Fevil.example/",
    "https:evil.example",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "javascript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "\uff0f\uff0fevil.example/",
    "/\uff0fevil.example/",
    "/\u3002/evil.example/",
    "//evil\u3002example/",
    " //evil.example/",
    "\x0b/\t/evil.example/",
    "evil.example",
    "",
]
STAYS_ON_THE_SITE = [
    ("/clients/1", "/clients/1"),
    ("/clients?q=diaz&page=2", "/clients?q=diaz&page=2"),
    ("/%2F%2Fevil.example/", "/%2F%2Fevil.example/"),
    ("/cli\tents/1", "/clients/1"),
    (" /clients/1 ", "/clients/1"),
]


@pytest.mark.parametrize("login_url", LOGIN_URLS)
@pytest.mark.parametrize("target", LEAVES_THE_SITE)
def test_it_refuses_a_next_url_that_leaves_the_site(practice, visitor, login_url, target):
    response = visitor.post(f"{login_url}?next={quote(target, safe='')}",
                            {"email": "carlos@brunswick.example", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/clients"


@pytest.mark.parametrize("login_url", LOGIN_URLS)
def test_it_refuses_a_next_url_holding_a_nul_and_signs_nobody_in(practice, visitor, login_url):
    response = visitor.post(f"{login_url}?next={quote(chr(0) + '//evil.example/', safe='')}",
                            {"email": "carlos@brunswick.example", "password": PASSWORD})
    assert response.status_code == 400
    assert visitor.get("/clients").status_code in (302, 303)


@pytest.mark.parametrize("login_url", LOGIN_URLS)
@pytest.mark.parametrize(("target", "location"), STAYS_ON_THE_SITE)
def test_it_follows_a_next_url_on_the_site_as_the_browser_reads_it(practice, visitor, login_url, target, location):
    response = visitor.post(f"{login_url}?next={quote(target, safe='')}",
                            {"email": "carlos@brunswick.example", "password": PASSWORD})
    assert response.headers["Location"] == location


def test_it_refuses_a_post_without_csrf_token(practice, visitor):
    response = visitor.post("/login", {"email": "carlos@brunswick.example", "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
