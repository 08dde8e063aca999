"""Headers that keep a browser safe on every kind of response, cookies, and templates the CSP can allow."""

import re
import secrets
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app import clock
from tests.conftest import Visitor, make_portal_account

TEMPLATES = Path(__file__).resolve().parent.parent / "app" / "templates"
ONE_YEAR = 365 * 24 * 3600

RESPONSES = [
    pytest.param(("/login", False, False, 200), id="login-page"),
    pytest.param(("/portal", True, False, 200), id="portal-home"),
    pytest.param(("/no-such-page", False, False, 404), id="missing-page"),
    pytest.param(("/static/porch.css", False, False, 200), id="static-file"),
    pytest.param(("/healthz", False, False, 200), id="healthz"),
    pytest.param(("/portal/cards/upcoming", True, True, 200), id="htmx-fragment"),
]


@pytest.fixture(params=RESPONSES)
def response(request, practice, visitor, as_user):
    url, as_aisha, htmx, status = request.param
    who = as_user(make_portal_account(practice.aisha)) if as_aisha else visitor
    answer = who.get(url, htmx=htmx)
    answer.close()
    assert answer.status_code == status
    return answer


@pytest.fixture
def production(environment, make_app):
    environment.setenv("PORCH_ENV", "production")
    environment.setenv("SECRET_KEY", secrets.token_urlsafe(36))
    return make_app()


CLIENT_IDLE_LIMIT = timedelta(minutes=30)  # PORCH_CLIENT_IDLE_MINUTES' default

def policy(response) -> dict[str, list[str]]:
    directives = [d.split() for d in response.headers["Content-Security-Policy"].split(";") if d.strip()]
    return {name: values for name, *values in directives}


def session_cookie(response) -> set[str]:
    """The attributes of the session cookie this response sets, lower-cased (e.g. {'secure', 'samesite=lax'})."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("porch_session="):
            return {part.strip().lower() for part in header.split(";")[1:]}
    raise AssertionError(f"no porch_session cookie in {response.headers.getlist('Set-Cookie')}")


def test_it_forbids_inline_code_and_framing(response):
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert policy(response)["script-src"] == ["'self'"]
    assert policy(response)["frame-ancestors"] == ["'none'"]


def test_it_stops_browsers_guessing_content_types(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_it_sends_no_referrer(response):
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_it_sends_no_hsts_in_development(response):
    assert "Strict-Transport-Security" not in response.headers


def test_it_sends_hsts_in_production(practice, production):
    make_portal_account(practice.aisha)
    aisha = Visitor(production.test_client())
    answers = [aisha.get("/login"), aisha.login("aisha@example.com"), aisha.get("/portal"), aisha.get("/healthz")]
    for answer in answers:
        hsts = answer.headers["Strict-Transport-Security"]
        assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= ONE_YEAR


def test_it_marks_the_session_cookie_secure_in_production(practice, production):
    make_portal_account(practice.aisha)
    login = Visitor(production.test_client()).login("aisha@example.com")
    assert {"secure", "httponly", "samesite=lax"} <= session_cookie(login)


def test_it_keeps_the_session_cookie_from_scripts_and_other_sites_in_development(practice, visitor):
    make_portal_account(practice.aisha)
    cookie = session_cookie(visitor.login("aisha@example.com"))
    assert {"httponly", "samesite=lax"} <= cookie
    assert "secure" not in cookie


def test_it_tells_caches_that_a_fragment_differs_from_the_page(practice, as_user):
    aisha = as_user(make_portal_account(practice.aisha))
    fragment = aisha.get("/portal/cards/upcoming", htmx=True)
    page = aisha.get("/portal/cards/upcoming")
    assert "<html" not in fragment.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in fragment.vary
    assert "HX-Request" in page.vary


def test_it_sends_an_htmx_call_with_an_expired_session_to_the_login_page(practice, as_user):
    aisha = as_user(make_portal_account(practice.aisha))
    clock.advance(CLIENT_IDLE_LIMIT + timedelta(minutes=1))
    response = aisha.get("/portal/cards/upcoming", htmx=True)
    assert response.status_code == 401
    assert response.get_data(as_text=True) == ""
    target = urlsplit(response.headers["HX-Redirect"])
    assert target.path == "/login"
    assert parse_qs(target.query) == {"next": ["/portal/cards/upcoming"]}


def test_it_redirects_a_page_request_with_an_expired_session_to_the_login_page(practice, as_user):
    aisha = as_user(make_portal_account(practice.aisha))
    clock.advance(CLIENT_IDLE_LIMIT + timedelta(minutes=1))
    response = aisha.get("/portal/cards/upcoming")
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/login"
    assert parse_qs(target.query) == {"next": ["/portal/cards/upcoming"]}


def test_it_answers_an_htmx_call_without_a_session_with_a_login_redirect(visitor):
    response = visitor.get("/portal/cards/upcoming", htmx=True)
    assert response.status_code == 401
    assert urlsplit(response.headers["HX-Redirect"]).path == "/login"


# --- templates: nothing the Content-Security-Policy would block ------------------------------------

JINJA_STATEMENT = re.compile(r"\{[%#].*?[%#]\}", re.DOTALL)
JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
EVENT_HANDLER = re.compile(r"(?:data-)?(?:hx-)?on[a-z:-]+")


class InlineCode(HTMLParser):
    """Finds what a CSP without 'unsafe-inline' blocks: script bodies, style elements and attributes, on* handlers."""

    def __init__(self, name: str):
        super().__init__()
        self.name, self.found, self.in_script = name, [], False

    def note(self, kind: str, what: str) -> None:
        self.found.append((kind, f"{self.name}:{self.getpos()[0]}: {what.strip()[:80]}"))

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.in_script = tag == "script"
        if tag == "style":
            self.note("style", "<style> element")
        for attribute, value in attrs:
            if attribute == "style":
                self.note("style", f'style="{value}"')
            elif EVENT_HANDLER.fullmatch(attribute) or (value or "").strip().lower().startswith("javascript:"):
                self.note("handler", f'{attribute}="{value}"')

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.note("script", f"<script>{data}")


def page_templates() -> list[Path]:
    """Every template a browser renders; mail/ holds e-mails, which no CSP governs."""
    return sorted(p for p in TEMPLATES.rglob("*.html") if p.relative_to(TEMPLATES).parts[0] != "mail")


def inline_code(kind: str) -> list[str]:
    found = []
    for path in page_templates():
        markup = JINJA_STATEMENT.sub(lambda m: "\n" * m.group(0).count("\n"), path.read_text())
        markup = JINJA_EXPRESSION.sub(lambda m: "x" + "\n" * m.group(0).count("\n"), markup)
        parser = InlineCode(str(path.relative_to(TEMPLATES)))
        parser.feed(markup)
        parser.close()
        found += [where for found_kind, where in parser.found if found_kind == kind]
    return found


def test_it_checks_every_page_template_but_no_e_mail():
    names = {str(p.relative_to(TEMPLATES)) for p in page_templates()}
    assert {"base.html", "portal/home.html", "portal/_card_upcoming.html", "auth/login.html"} <= names
    assert not any(name.startswith("mail/") for name in names)


def test_it_has_no_inline_scripts_in_templates():
    assert inline_code("script") == []


def test_it_has_no_inline_styles_in_templates():
    assert inline_code("style") == []


def test_it_has_no_event_handler_attributes_in_templates():
    assert inline_code("handler") == []
