"""Headers on every response, cookie and proxy settings, and fingerprinted static URLs."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, abort, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=63072000; includeSubDomains"
# Served the same to everyone and cached a year under a fingerprinted URL: never with the session cookie.
PUBLIC_CACHED_ENDPOINTS = frozenset({"static", "branding.stylesheet", "branding.plain_stylesheet",
                                     "branding.logo"})


class NoSessionOnStaticFiles(SecureCookieSessionInterface):
    """Static files never carry the session, so no `Vary: Cookie`: browsers reuse them across logins."""

    def save_session(self, app, session, response):
        if request.endpoint not in PUBLIC_CACHED_ENDPOINTS:
            super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    production = app.config["PORCH_ENV"] == "production"
    app.session_interface = NoSessionOnStaticFiles()
    if app.config["PORCH_PROXY_HOPS"]:
        hops = app.config["PORCH_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.before_request
    def refuse_nul_characters() -> None:
        """Nothing a person types holds a NUL character, and PostgreSQL refuses to store one in text: a query or a
        plain form carrying one is a bad request before any view reads it (multipart bodies stream on untouched)."""
        fields = [request.args]
        if request.mimetype == "application/x-www-form-urlencoded":
            fields.append(request.form)
        if any("\x00" in key or any("\x00" in value for value in values)
               for found in fields for key, values in found.lists()):
            abort(400)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        if production:
            response.headers["Strict-Transport-Security"] = HSTS
        return response

    static_folder = Path(app.static_folder)

    @app.url_defaults
    def fingerprint_static(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values.setdefault("v", static_fingerprint(static_folder / values["filename"]))


@lru_cache(maxsize=256)
def _fingerprint_of(path: Path, mtime: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_fingerprint(path: Path) -> str:
    try:
        return _fingerprint_of(path, path.stat().st_mtime)
    except OSError:
        return "missing"
