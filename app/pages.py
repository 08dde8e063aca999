"""How a view answers: the whole page, or only the fragment when htmx asks for it."""

from collections.abc import Callable

from flask import Response, flash, make_response, redirect, render_template, request


def wants_fragment() -> bool:
    return "HX-Request" in request.headers and "HX-Boosted" not in request.headers


def render(page: str, fragment: str | None = None, status: int = 200, **context) -> Response:
    """Render `fragment` alone for an htmx request, else the full `page` (which includes the fragment)."""
    template = fragment if fragment and wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def see_other(location: str) -> Response:
    """Post/Redirect/Get: 303 so that neither browsers nor htmx replay the POST."""
    return redirect(location, code=303)


def fragment_or_see_other(page: str, fragment: str, location: str, context: Callable[[], dict],
                          notice: str | None = None) -> Response:
    """After a POST that changed something: the fresh fragment for htmx (with the notice in it); otherwise
    the notice as a flash and a 303 back to `location`. `context` is only built when the fragment is sent."""
    if wants_fragment():
        return render(page, fragment, notice=notice, **context())
    if notice:
        flash(notice)
    return see_other(location)


def is_safe_next(target: str | None) -> bool:
    return bool(target) and target.startswith("/") and not target.startswith(("//", "/\\")) \
        and "\\" not in target and "\n" not in target and "\r" not in target
