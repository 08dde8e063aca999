"""The client's Documents: what the practice shared with them, and their own uploads."""

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_login import current_user

from app.auth.access import client_required
from app.clients.models import Client
from app.db import db
from app.documents.downloads import file_response
from app.documents.file_types import Refused, document_limit, limits_sentence, megabytes, video_limit
from app.documents.forms import UploadForm
from app.documents.models import Document
from app.documents.policy import may_open
from app.documents.posted_files import chosen_file, read_form_with_files
from app.documents.service import keep_client_upload, quota_left, sealed_form_files, shared_with, uploads_of
from app.extensions import csrf
from app.pages import render, see_other
from app.paging import cursor_arg
from app.tenancy import get_or_404

bp = Blueprint("portal_documents", __name__, url_prefix="/portal/documents")


@bp.get("")
@client_required
def index():
    client = current_user.client
    section = "uploads" if "uploads" in request.args else "shared"
    return render("documents/portal_index.html", "documents/_portal_section.html", section=section, client=client,
                  shared=shared_with(client, cursor_arg(request.args.get("shared"))),
                  uploads=uploads_of(client, cursor_arg(request.args.get("uploads"))))


@bp.route("/upload", methods=["GET", "POST"])
@csrf.exempt
@client_required
def upload():
    """The upload page. Its form posts the whole file (works without JavaScript, up to the plain-upload
    limit); uploads.js sends it resumably instead, through app.documents.tus."""
    client = current_user.client
    if request.method == "GET":
        return _upload_page(client, UploadForm())
    with sealed_form_files() as arrived:
        too_large = read_form_with_files(arrived, current_app.config["PORCH_PLAIN_UPLOAD_MAX_BYTES"])
        if too_large:
            return _upload_page(client, UploadForm(formdata=None), too_large, 413)
        csrf.protect()
        chosen = chosen_file()
        if chosen is None:
            return _upload_page(client, UploadForm(), "Choose a file to upload.", 422)
        try:
            document = keep_client_upload(client, current_user, chosen.stream, chosen.filename)
        except Refused as refusal:
            return _upload_page(client, UploadForm(), refusal.message, refusal.status)
        db.session.commit()
    flash(f"{document.file_name} is uploaded. Your practice can see it now.")
    return see_other(url_for("portal_documents.index"))


@bp.get("/<int:document_id>/file")
@client_required
def file(document_id: int):
    document = get_or_404(Document, document_id)
    if not may_open(current_user, document):
        abort(404)
    return file_response(document, attachment=request.args.get("download") == "1")


def _upload_page(client: Client, form: UploadForm, error: str | None = None, status: int = 200):
    if error:
        form.file.errors = [error]
    plain, left = current_app.config["PORCH_PLAIN_UPLOAD_MAX_BYTES"], quota_left(client)
    return render("documents/upload.html", client=client, form=form, limits=limits_sentence(),
                  plain_limit=megabytes(plain), quota_left=megabytes(left),
                  sizes={"document": document_limit(), "video": video_limit(), "left": left}, http_status=status)
