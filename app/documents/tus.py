"""The server side of tus 1.0 (core, creation, termination) for a client's resumable uploads.

uploads.js on the upload page (and any tus client, e.g. tuspy) talks to it. Protection, as for a form post:
the session cookie (a signed-in client, their own uploads only), the CSRF token in an X-CSRFToken header
(the same token the page carries for htmx), and, when the browser sends an Origin header, the same origin
as Porch. Answers are short plain-text sentences the upload page can show as they are.
"""

import base64
import binascii

from flask import Blueprint, Response, flash, request, url_for
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf
from sqlalchemy import select

from app.db import db
from app.documents.file_types import Refused, largest_limit
from app.documents.models import DocumentUpload
from app.documents.service import LostClaim, cancel_upload, receive_upload_part, start_upload
from app.extensions import csrf

bp = Blueprint("document_uploads", __name__, url_prefix="/portal/documents/uploads")
csrf.exempt(bp)

TUS_VERSION = "1.0.0"
CHANGES = ("POST", "PATCH", "DELETE")


def answer(status: int, message: str = "", **headers) -> Response:
    response = Response(message, status=status, mimetype="text/plain")
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = str(value)
    return response


@bp.before_request
def guard():
    if request.method == "OPTIONS":
        return None
    if not current_user.is_authenticated:
        return answer(401, "Your session has ended. Log in again, then upload the file again.")
    if not current_user.is_client:
        return answer(404)
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        return answer(412, "Only tus 1.0.0 is spoken here.", Tus_Version=TUS_VERSION)
    if request.method in CHANGES:
        origin = request.headers.get("Origin")
        if origin is not None and origin != request.host_url.rstrip("/"):
            return answer(403, "Uploads must come from this site.")
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError:
            return answer(400, "This page has expired. Reload it and upload the file again.")
    return None


@bp.route("", methods=["OPTIONS"])
def options():
    return answer(204, Tus_Version=TUS_VERSION, Tus_Extension="creation,termination", Tus_Max_Size=largest_limit())


@bp.post("")
def create():
    try:
        length = int(request.headers.get("Upload-Length", ""))
    except ValueError:
        return answer(400, "Upload-Length is missing (uploads of unknown length are not taken).")
    if length < 0:
        return answer(400, "Upload-Length can't be negative.")
    try:
        upload = start_upload(current_user.client, current_user, length=length,
                              file_name=_metadata().get("filename", ""))
    except Refused as refusal:
        db.session.rollback()
        return answer(refusal.status, refusal.message)
    db.session.commit()
    return answer(201, Location=url_for(".progress", token=upload.token))


@bp.route("/<token>", methods=["HEAD"])
def progress(token: str):
    found = _own_upload(token)
    if found is None:
        return answer(404)
    return answer(200, Upload_Offset=found.offset, Upload_Length=found.length)


@bp.route("/<token>", methods=["PATCH"])
def append(token: str):
    found = _own_upload(token)
    if found is None:
        return answer(404, "This upload is gone (finished, cancelled or left unfinished for a day). Start again.")
    if request.mimetype != "application/offset+octet-stream":
        return answer(415, "Send the bytes as application/offset+octet-stream.")
    try:
        offset = int(request.headers.get("Upload-Offset", ""))
    except ValueError:
        return answer(400, "Upload-Offset is missing.")
    length = request.content_length
    if length is None:
        return answer(411, "Send a Content-Length.")
    request.max_content_length = found.length
    try:
        document = receive_upload_part(found, offset, request.stream, length)
    except Refused as refusal:
        return answer(refusal.status, refusal.message)
    except LostClaim:
        return answer(409, "Another connection took over this upload.")
    headers = {"Upload_Offset": found.offset if document is None else document.size}
    if document is not None:
        headers["Porch_Document"] = document.id
        flash(f"{document.file_name} is uploaded. Your practice can see it now.")
    return answer(204, **headers)


@bp.route("/<token>", methods=["DELETE"])
def terminate(token: str):
    found = _own_upload(token)
    if found is None:
        return answer(404)
    cancel_upload(found)
    db.session.commit()
    return answer(204)


def _own_upload(token: str) -> DocumentUpload | None:
    return db.session.scalar(select(DocumentUpload).where(DocumentUpload.token == token,
                                                          DocumentUpload.client_id == current_user.client_id))


def _metadata() -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs."""
    found = {}
    for pair in request.headers.get("Upload-Metadata", "").split(","):
        key, _, value = pair.strip().partition(" ")
        if key:
            try:
                found[key] = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                found[key] = ""
    return found
