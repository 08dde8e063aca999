"""What goes compressed on the wire: pages and fragments through flask-compress, static files compressed once.

Static files are compressed at the highest brotli and gzip levels the first time they are asked for (and again
only when the file changes), and served with a strong ETag of their content and encoding; a fingerprinted URL
(`?v=`, added by app/security.py) is cached for a year, immutable. Nothing that is already compressed or that
answers byte ranges (images, video, document downloads) is compressed again, and neither is a WebSocket.

BREACH: a page reached from another site (`Sec-Fetch-Site: cross-site`, the only kind of request an attacker's
page can make carry our SameSite=Lax session cookie) goes out uncompressed, so its length can't be used to guess
a secret in it byte by byte; see the README.
"""

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import brotli
from flask import Flask, Response, abort, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

from app.security import static_fingerprint

COMPRESSED_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                    "image/svg+xml"]
ENCODINGS = ("br", "gzip")  # preferred first, when a browser accepts both equally
ONE_YEAR = 365 * 24 * 3600

compress = Compress()


def init_app(app: Flask) -> None:
    """Call before anything else registers an after_request: those run in reverse, and compression must be last."""
    app.config.update({
        "COMPRESS_REGISTER": False,
        "COMPRESS_MIMETYPES": COMPRESSED_TYPES,
        "COMPRESS_ALGORITHM": list(ENCODINGS),
        "COMPRESS_BR_LEVEL": 5,
        "COMPRESS_LEVEL": 6,
        "COMPRESS_MIN_SIZE": 500,
        "COMPRESS_STREAMS": False,  # streamed answers are document downloads: encrypted files, byte ranges
    })
    compress.init_app(app)
    app.after_request(compress_page)
    app.view_functions["static"] = serve_static


def compress_page(response: Response) -> Response:
    if request.endpoint == "static" or not _may_compress(response):
        return response
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        response.vary.update(["Accept-Encoding", "Sec-Fetch-Site"])
        return response
    return compress.after_request(response)


def _may_compress(response: Response) -> bool:
    return not (response.is_streamed or response.direct_passthrough
                or response.status_code == 206
                or "Content-Range" in response.headers or "Accept-Ranges" in response.headers
                or "Content-Disposition" in response.headers
                or request.headers.get("Upgrade", "").lower() == "websocket")


@dataclass(frozen=True)
class StaticFile:
    mimetype: str
    fingerprint: str
    digest: str
    bodies: dict  # encoding ("br", "gzip", or "identity") → bytes


@lru_cache(maxsize=256)
def _static_file(path: Path, mtime_ns: int, size: int) -> StaticFile:
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return packed(path.read_bytes(), mimetype, static_fingerprint(path))


@lru_cache(maxsize=256)
def packed(body: bytes, mimetype: str, fingerprint: str) -> StaticFile:
    """An asset compressed once per version, in each encoding that makes it smaller."""
    bodies = {"identity": body}
    if mimetype in COMPRESSED_TYPES:
        for encoding, smaller in (("br", brotli.compress(body, quality=11)),
                                  ("gzip", gzip.compress(body, compresslevel=9, mtime=0))):
            if len(smaller) < len(body):
                bodies[encoding] = smaller
    return StaticFile(mimetype, fingerprint, hashlib.sha256(body).hexdigest()[:32], bodies)


def static_file(filename: str) -> StaticFile:
    found = safe_join(current_app.static_folder, filename)
    path = Path(found) if found else None
    if path is None or not path.is_file():
        abort(404)
    status = path.stat()
    return _static_file(path, status.st_mtime_ns, status.st_size)


def serve_static(filename: str) -> Response:
    return serve_asset(static_file(filename))


def serve_asset(file: StaticFile) -> Response:
    """The asset in the encoding the browser takes best, with a strong ETag; a year's cache under its fingerprint."""
    encoding = _accepted_encoding(tuple(e for e in ENCODINGS if e in file.bodies))
    response = Response(file.bodies[encoding], mimetype=file.mimetype)
    if encoding != "identity":
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{file.digest}-{encoding}")
    response.cache_control.public = True
    if request.args.get("v") == file.fingerprint:
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True  # an old or missing fingerprint: ask again, the ETag makes it cheap
    return response.make_conditional(request)


def _accepted_encoding(offered: tuple[str, ...]) -> str:
    return request.accept_encodings.best_match(offered, default="identity") if offered else "identity"
