"""Serving a stored document: decrypted as it streams, byte ranges for video, and names that can't hurt.

Only the types Porch accepts are ever served as themselves, and only images, video and plain text inline;
anything else (an SVG or HTML file, should one ever be in storage) goes out as an opaque attachment.
werkzeug answers ranges and conditions (make_conditional) over a seekable reader of the sealed file, handed to
werkzeug's own FileWrapper, which seeks to a range (the server's may not: gunicorn's would decrypt everything
before it). Not send_file: its Content-Disposition has no ASCII fallback name for names that are ASCII already.
"""

import re
import unicodedata
from urllib.parse import quote

from flask import Response, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wsgi import FileWrapper

from app.documents.file_types import ACCEPTED, bare_file_name
from app.documents.models import Document
from app.documents.sealing import RECORD_SIZE, SealedFile, SealedReader
from app.documents.storage import storage

OPAQUE = "application/octet-stream"


def download_name(document: Document) -> str:
    """The file's name without folders, quotes or control characters, ending as its real type does."""
    name = "".join(c for c in bare_file_name(document.file_name) if c not in '"<>:|?*').strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem = extension
    accepted = ACCEPTED.get(document.content_type)
    stem = stem.strip(" .")[:150] or "document"
    return stem + (accepted.extension if accepted else "")


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
    accepted = ACCEPTED.get(document.content_type)
    inline = not attachment and accepted is not None and accepted.inline
    reader = SealedReader(SealedFile(storage().open_for_reading(document.storage_key)))
    response = Response(FileWrapper(reader, RECORD_SIZE), mimetype=document.content_type if accepted else OPAQUE,
                        direct_passthrough=True)
    response.content_length = reader.size
    response.headers["Content-Disposition"] = content_disposition("inline" if inline else "attachment",
                                                                  download_name(document))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    try:
        return response.make_conditional(request, accept_ranges=True, complete_length=reader.size)
    except RequestedRangeNotSatisfiable:
        reader.close()
        return Response(status=416, headers={"Content-Range": f"bytes */{reader.size}"})
