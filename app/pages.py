"""How a view answers: the whole page, or only the fragment when htmx asks for it."""

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, flash, make_response, redirect, render_template, request, url_for

BROWSER_DROPS = dict.fromkeys(map(ord, "\t\n\r"))
C0_AND_SPACE = "".join(map(chr, range(0x21)))


def wants_fragment() -> bool:
    return "HX-Request" in request.headers and "HX-Boosted" not in request.headers


def render(page: str, fragment: str | None = None, /, *, http_status: int = 200, **context) -> Response:
    """Render `fragment` alone for an htmx request, else the full `page` (which includes the fragment).

    Everything but `http_status` is template context; no template may use that name (a test checks), so a
    context value such as the inbox's `status` filter can never become the response's status line.
    """
    template = fragment if fragment and wants_fragment() else page
    response = make_response(render_template(template, **context), http_status)
    response.vary.add("HX-Request")
    return response


def see_other(location: str) -> Response:
    """Post/Redirect/Get: 303 so that neither browsers nor htmx replay the POST."""
    return redirect(location, code=303)


def fragment_or_see_other(page: str, fragment: str, location: str, context: Callable[[], dict],
                          notice: str | None = None) -> Response:
    """After a POST that changed something: the fresh fragment for htmx (with the notice in it); otherwise
    the notice as a flash and a 303 back to `location`. `context` is only built when the fragment is sent.

    The htmx answer also replaces the page's flashes (out of band), so "Nora Lindqvist was added." doesn't
    linger above the notice of what was done since."""
    if wants_fragment():
        response = render(page, fragment, notice=notice, **context())
        response.set_data(response.get_data(as_text=True) + render_template("_flashes.html", oob=True))
        return response
    if notice:
        flash(notice)
    return see_other(location)


def safe_next(target: str | None) -> str | None:
    """The on-site path to redirect to after signing in, or None if `target` could leave the site.

    Decided on the URL as a browser reads it (tabs and newlines dropped, control characters and spaces
    trimmed, backslashes taken as slashes), and that same normalised string is what is sent back.
    """
    if not target:
        return None
    normalised = target.translate(BROWSER_DROPS).strip(C0_AND_SPACE).replace("\\", "/")
    if not normalised.startswith("/") or normalised.startswith("//"):
        return None
    if any(not (0x21 <= ord(character) <= 0x7E) for character in normalised):
        return None  # what a link on the site carries is percent-encoded ASCII; anything else is made up
    parts = urlsplit(normalised)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return normalised


LINKS_REMEMBERED = 4096


def remember_links(app: Flask) -> None:
    """Templates' url_for remembers the links it made: werkzeug builds one in about 80 Python calls, and a portal
    page has some 25, the same on every request. Only a relative link to a named endpoint is kept, as it depends
    on nothing but its arguments and where the site is mounted; static files' fingerprints then stay as they
    were when first asked, so the debug server (which reloads for code, not for static files) asks every time."""
    if app.debug:
        return

    @lru_cache(maxsize=LINKS_REMEMBERED)
    def link(script_root: str, endpoint: str, values: tuple) -> str:
        return url_for(endpoint, **dict(values))

    def remembered_url_for(endpoint: str, **values) -> str:
        if endpoint.startswith(".") or any(name.startswith("_") for name in values):
            return url_for(endpoint, **values)
        try:
            return link(request.script_root, endpoint, tuple(values.items()))  # in order: the query string's
        except TypeError:  # a value that can't be a key (a list of query values): made afresh
            return url_for(endpoint, **values)

    app.jinja_env.globals["url_for"] = remembered_url_for
