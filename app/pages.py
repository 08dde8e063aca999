"""How a view answers: the whole page, or only the fragment when htmx asks for it."""

from flask import Response, make_response, redirect, render_template, request


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


def is_safe_next(target: str | None) -> bool:
    return bool(target) and target.startswith("/") and not target.startswith(("//", "/\\")) \
        and "\\" not in target and "\n" not in target and "\r" not in target
