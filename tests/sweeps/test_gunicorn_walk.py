"""Every page each demo persona reaches by following links, served the way the README says to serve Porch."""

import http.client
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from tests.conftest import free_port, start_gunicorn, stop_gunicorn
from tests.sweeps.conftest import PERSONAS, parsed, walk

E_MAILS = "/dev/outbox/"  # links in a client's e-mail are for the client: staff following them get a 404
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class RawBrowser:
    """Plain http.client, one connection a request: it refuses a malformed status line that a browser shows."""

    def __init__(self, port: int):
        self.port = port
        self.cookies = SimpleCookie()

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict | None = None) -> tuple[int, str, str, str | None]:
        headers = {"Host": "porch.test", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            try:
                response = connection.getresponse()
            except http.client.HTTPException as error:
                pytest.fail(f"{method} {path} answered a malformed response: {error!r}", pytrace=False)
            data = response.read()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                self.cookies.load(cookie)
            return (response.status, response.headers.get("Content-Type", ""), data.decode(errors="replace"),
                    response.headers.get("Location"))
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, str, str, str | None]:
        return self.request("GET", path)

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/login")[2]
        fields = {"email": email, "password": password, "csrf_token": CSRF_FIELD.search(page).group(1)}
        status, _, body, _ = self.request("POST", "/login", urlencode(fields),
                                          {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303, body


@pytest.fixture
def gunicorn_port(environment, world):
    port = free_port()
    server = start_gunicorn(port, "--worker-class", "gevent", "--workers", "1")
    yield port
    stop_gunicorn(server)


def test_it_serves_every_linked_page_under_gunicorn(gunicorn_port, world):
    problems, walked = [], {}
    for persona, (email, home) in PERSONAS.items():
        browser = RawBrowser(gunicorn_port)
        if email:
            browser.sign_in(email, world.password)
        pages = walk(browser.get, home)
        walked[persona] = len(pages)
        for path, page in pages.items():
            if page.status >= 500 or (page.status >= 400 and not (page.found_on or "").startswith(E_MAILS)):
                problems.append(f"{persona}: GET {path} (linked from {page.found_on}) answered {page.status}")
            if page.is_full_html and (h1s := parsed(page.body).h1s) != 1:
                problems.append(f"{persona}: GET {path} has {h1s} <h1> elements")
    assert not problems, "\n".join(problems)
    assert min(walked.values()) >= 4, walked
