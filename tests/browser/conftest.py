"""Browser fixtures: Debian's chromium through Playwright, a live Porch server with its job thread, and axe-core.

Pages are checked with axe-core as a user would get them: with JavaScript on, axe runs in the page itself
(a script added through the DevTools protocol is not subject to the page's Content-Security-Policy); with
JavaScript off, chromium never runs axe's timers, so the page's HTML is replayed at the same address in a
JavaScript-enabled page whose own scripts are blocked, which renders the same DOM a JS-off visitor sees.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import (  # noqa: F401  (the live server fixture is in tests/conftest.py)
    LiveServer,
    make_client,
    make_portal_account,
    make_staff,
    make_workspace,
    wait_until,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js").read_text()
RUN_AXE = "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
PHONE = {"width": 320, "height": 640}  # the narrowest phone we design for: the journeys' client side runs here
LAPTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('body *')]
  .map(el => [el, Math.round(el.getBoundingClientRect().right)]).filter(([el, right]) => right > innerWidth)
  .slice(0, 8).map(([el, right]) => `${el.tagName.toLowerCase()}.${el.className} (${right} px)`)"""


# --- the browser ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; the browser tests need Debian's chromium: apt-get install chromium",
                    pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# --- the people every journey starts from ---------------------------------------------------------

def carlos_and_aisha(app, **client_options) -> tuple[int, int]:
    """Brunswick Practice with Carlos, and Aisha on his roster with a portal account: (Carlos's id, Aisha's id)."""
    with app.app_context():
        workspace = make_workspace()
        carlos = make_staff(workspace, "carlos@brunswick.example", "practitioner", "Carlos Diaz")
        aisha = make_client(workspace, care_team=[carlos], **client_options)
        make_portal_account(aisha)
        return carlos.id, aisha.id


@pytest.fixture
def aisha_in_the_portal(live_server) -> int:
    """Aisha's client id, in a practice where Carlos looks after her and she has a portal account."""
    return carlos_and_aisha(live_server.app)[1]


# --- pages, their console, and axe ---------------------------------------------------------------

@dataclass
class Visit:
    """Opens browser contexts for one test and checks the pages they show."""

    browser: Browser
    base_url: str
    contexts: list[BrowserContext] = field(default_factory=list)
    javascript_off: list[BrowserContext] = field(default_factory=list)
    csp_reports: list[str] = field(default_factory=list)
    _auditor: Page | None = field(default=None, repr=False)

    def page(self, javascript: bool = True, **options) -> Page:
        """A page in a new context of its own (its own cookies), JavaScript on or off; a laptop unless told."""
        options.setdefault("viewport", LAPTOP)
        context = self.browser.new_context(base_url=self.base_url, java_script_enabled=javascript, **options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        if not javascript:
            self.javascript_off.append(context)
        page = context.new_page()
        page.on("console", self._note_csp_report)
        return page

    def _note_csp_report(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_reports.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def assert_accessible(self, page: Page, what: str) -> None:
        """Run axe-core on the page as shown now; fail with each violation's rule, impact, help and elements.
        A page wider than the screen (one that scrolls sideways) fails too."""
        page.wait_for_load_state()  # a link just clicked: the new page, once it has loaded, not its empty start
        self.assert_fits_the_screen(page, what)
        target = self._replay(page) if page.context in self.javascript_off else page
        target.evaluate(AXE_SOURCE)
        violations = target.evaluate(RUN_AXE)
        if violations:
            pytest.fail(f"axe-core found problems on {what} ({page.url}):\n{_describe(violations)}", pytrace=False)

    def assert_fits_the_screen(self, page: Page, what: str) -> None:
        width = page.viewport_size["width"]
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            pytest.fail(f"{what} scrolls sideways at {width} px: {scroll_width} px wide, through "
                        + ", ".join(page.evaluate(WIDER_THAN_THE_SCREEN)), pytrace=False)

    def assert_no_csp_reports(self) -> None:
        if self.csp_reports:
            pytest.fail("The Content-Security-Policy blocked something:\n" + "\n".join(self.csp_reports), pytrace=False)

    def _replay(self, page: Page) -> Page:
        """The JS-off page's DOM at the same address, in a JS-on page that runs none of the page's scripts."""
        if self._auditor is None:
            context = self.browser.new_context(base_url=self.base_url, viewport=page.viewport_size)
            context.route("**/*", _without_scripts)
            self.contexts.append(context)
            self._auditor = context.new_page()
        auditor, html, address = self._auditor, page.content(), urldefrag(page.url).url

        def the_page(url: str) -> bool:
            return url == address

        auditor.set_viewport_size(page.viewport_size)
        auditor.route(the_page, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))
        auditor.goto(address)
        auditor.unroute(the_page)
        return auditor

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def _without_scripts(route) -> None:
    if route.request.resource_type == "script":
        route.abort()
    else:
        route.fallback()


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node.get('failureSummary', '')}".rstrip())
    return "\n".join(lines)


@pytest.fixture
def visit(browser, live_server) -> Iterator[Visit]:
    visit = Visit(browser, live_server.url)
    yield visit
    visit.close()
