"""Serving a stored document: decrypted as it streams, byte ranges for video, and names that can't hurt.

Only the types Porch accepts are ever served as themselves, and only images, video and plain text inline;
anything else (an SVG or HTML file, should one ever be in storage) goes out as an opaque attachment.
"""

import re
import unicodedata
from urllib.parse import quote

from flask import Response, request

from app.documents.models import Document
from app.documents.sealing import SealedFile
from app.documents.storage import storage

EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/heic": ".heic",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "text/plain": ".txt",
}
SHOWN_INLINE = {"image/jpeg", "image/png", "image/webp", "video/mp4", "video/quicktime", "video/webm", "text/plain"}
OPAQUE = "application/octet-stream"


def download_name(document: Document) -> str:
    """The file's name without folders, quotes or control characters, ending as its real type does."""
    name = document.file_name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>:|?*').strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem = extension
    wanted = EXTENSIONS.get(document.content_type, "")
    stem = stem.strip(" .")[:150] or "document"
    return stem + wanted


def content_disposition(how: str, name: str) -> str:
    """RFC 6266: a plain-ASCII fallback name, and the real name encoded for browsers that read it."""
    stem, dot, extension = name.rpartition(".")
    plain = (_ascii(stem) or "document") + (f".{_ascii(extension)}" if dot else "")
    return f"{how}; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._ ()-]+", "_", text).strip(" ._")


def file_response(document: Document, attachment: bool) -> Response:
    """The document's bytes (all, or the one range asked for), decrypted as they are sent."""
    known = document.content_type in EXTENSIONS
    inline = not attachment and document.content_type in SHOWN_INLINE
    mimetype = document.content_type if known else OPAQUE
    size = document.size
    start, end, status = 0, size, 200
    if request.range is not None and len(request.range.ranges) == 1:
        wanted = request.range.range_for_length(size)
        if wanted is None:
            return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        (start, end), status = wanted, 206
    sealed = SealedFile(storage().open_for_reading(document.storage_key))
    response = Response(_plaintext(sealed, start, end, size), status=status, mimetype=mimetype,
                        direct_passthrough=True)
    if mimetype == "text/plain":
        response.charset = "utf-8"
        response.content_type = "text/plain; charset=utf-8"
    response.content_length = end - start
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Content-Disposition"] = content_disposition("inline" if inline else "attachment",
                                                                  download_name(document))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _plaintext(sealed: SealedFile, start: int, end: int, size: int):
    with sealed:
        if start == 0 and end == size:
            yield from sealed.chunks()
        else:
            yield from sealed.chunks(start, end)
