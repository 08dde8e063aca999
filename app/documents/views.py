"""Documents pages: staff share with a client and open the client's uploads; clients see and upload theirs.

Form posts that carry a file are read by our own parser (each file is sealed into storage as it arrives), so
they are exempt from the global CSRF check, which would read the body first, and call csrf.protect() right
after the body is read.
"""

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from app.audit.trail import record
from app.auth.access import client_required, staff_required
from app.clients.access import client_or_404
from app.clients.models import Client
from app.db import db
from app.documents.downloads import file_response
from app.documents.file_types import Refused, document_limit, limits_sentence, megabytes, video_limit
from app.documents.forms import ShareForm, UploadForm
from app.documents.models import Document
from app.documents.policy import may_open
from app.documents.service import (
    keep_client_upload,
    quota_left,
    sealed_form_files,
    sealing_stream_factory,
    share_document,
    shared_by_practice,
    shared_with,
    unshare_document,
    uploads_of,
)
from app.extensions import csrf
from app.form_base import ButtonForm
from app.pages import render, see_other
from app.tenancy import get_or_404, of_client_or_404

bp = Blueprint("documents", __name__)

FORM_OVERHEAD = 64 * 1024 + 20_000 * 4  # the multipart framing, the other fields, a long note


@bp.app_template_filter()
def file_size(size: int) -> str:
    return f"{max(round(size / 1024), 1)} KB" if size < 1024 * 1024 else megabytes(size)


@bp.app_template_global()
def client_documents(client: Client) -> dict:
    """What the Documents panel of a client record lists (the record itself checked who may see it)."""
    return {"shared": shared_by_practice(client), "uploads": uploads_of(client), "button_form": ButtonForm()}


# --- staff ---------------------------------------------------------------------------------------

@bp.route("/clients/<int:client_id>/documents/new", methods=["GET", "POST"])
@csrf.exempt
@staff_required
def share(client_id: int):
    client = client_or_404(client_id)
    if request.method == "GET":
        return render("documents/share.html", client=client, form=ShareForm(), limits=limits_sentence())
    with sealed_form_files() as arrived:
        too_large = _read_form_with_files(arrived, max(document_limit(), video_limit()))
        if too_large:
            form = ShareForm(formdata=None)
            form.file.errors = [too_large]
            return render("documents/share.html", client=client, form=form, limits=limits_sentence(), status=413)
        csrf.protect()
        form, upload, status = ShareForm(), _chosen_file(), 422
        valid = form.validate()
        if _file_or_note(form, upload) and valid:
            try:
                document = share_document(client, current_user, title=form.title.data, kind=form.kind.data,
                                          request_key=form.request_key.data, note=form.note.data,
                                          file_name=upload.filename if upload else None,
                                          upload=upload.stream if upload else None)
            except Refused as refusal:
                form.file.errors.append(refusal.message)
                status = refusal.status
            else:
                db.session.commit()
                flash(f"“{document.title}” is shared with {client.first_name}.")
                return see_other(url_for("clients.show", client_id=client.id) + "#documents")
    return render("documents/share.html", client=client, form=form, limits=limits_sentence(), status=status)


@bp.get("/clients/<int:client_id>/documents/<int:document_id>")
@staff_required
def show(client_id: int, document_id: int):
    client = client_or_404(client_id)
    document = of_client_or_404(client, Document, document_id)
    record("document.viewed", workspace_id=client.workspace_id, client_id=client.id)
    db.session.commit()
    return render("documents/show.html", client=client, document=document, button_form=ButtonForm())


@bp.get("/clients/<int:client_id>/documents/<int:document_id>/file")
@staff_required
def staff_file(client_id: int, document_id: int):
    """Every opening or download is audited; the further range requests of one video playing are not."""
    client = client_or_404(client_id)
    document = of_client_or_404(client, Document, document_id)
    attachment = request.args.get("download") == "1"
    if not _continues_playing():
        record("document.downloaded" if attachment else "document.opened", workspace_id=client.workspace_id,
               client_id=client.id)
        db.session.commit()
    return file_response(document, attachment)


@bp.post("/clients/<int:client_id>/documents/<int:document_id>/unshare")
@staff_required
def unshare(client_id: int, document_id: int):
    client = client_or_404(client_id)
    document = of_client_or_404(client, Document, document_id)
    if document.origin != "practice":
        abort(404)
    unshare_document(document)
    db.session.commit()
    flash(f"“{document.title}” is no longer shared with {client.first_name}.")
    return see_other(url_for("clients.show", client_id=client.id) + "#documents")


# --- the client's portal -------------------------------------------------------------------------

@bp.get("/portal/documents")
@client_required
def portal_index():
    client = current_user.client
    return render("documents/portal_index.html", client=client, shared=shared_with(client),
                  uploads=uploads_of(client))


@bp.route("/portal/documents/upload", methods=["GET", "POST"])
@csrf.exempt
@client_required
def upload():
    """The upload page. Its form posts the whole file (works without JavaScript, up to the plain-upload
    limit); uploads.js sends it resumably instead, through app.documents.tus."""
    client = current_user.client
    if request.method == "GET":
        return _upload_page(client, UploadForm())
    with sealed_form_files() as arrived:
        too_large = _read_form_with_files(arrived, current_app.config["PORCH_PLAIN_UPLOAD_MAX_BYTES"])
        if too_large:
            return _upload_page(client, UploadForm(formdata=None), too_large, 413)
        csrf.protect()
        chosen = _chosen_file()
        if chosen is None:
            return _upload_page(client, UploadForm(), "Choose a file to upload.", 422)
        try:
            document = keep_client_upload(client, current_user, chosen.stream, chosen.filename)
        except Refused as refusal:
            return _upload_page(client, UploadForm(), refusal.message, refusal.status)
        db.session.commit()
    flash(f"{document.file_name} is uploaded. Your practice can see it now.")
    return see_other(url_for("documents.portal_index"))


@bp.get("/portal/documents/<int:document_id>/file")
@client_required
def portal_file(document_id: int):
    document = get_or_404(Document, document_id)
    if not may_open(current_user, document):
        abort(404)
    return file_response(document, attachment=request.args.get("download") == "1")


# --- pieces --------------------------------------------------------------------------------------

def _read_form_with_files(arrived: list, file_limit: int) -> str | None:
    """Read the posted form, sealing its files into storage; a sentence for the client if it is too large."""
    request.max_content_length = file_limit + FORM_OVERHEAD
    request.form_data_parser_class = _parser_sealing_into(arrived)
    try:
        request.form  # noqa: B018 (reading the form reads the body)
    except RequestEntityTooLarge:
        size = request.content_length
        said = f"This file is {megabytes(size)}; " if size else ""
        return f"{said}the most you can send here is {megabytes(file_limit)}. Choose a smaller file."
    return None


def _parser_sealing_into(arrived: list):
    def make(stream_factory=None, **options) -> FormDataParser:
        return FormDataParser(sealing_stream_factory(arrived), **options)

    return make


def _chosen_file() -> FileStorage | None:
    chosen = request.files.get("file")
    return chosen if chosen is not None and chosen.filename else None


def _file_or_note(form: ShareForm, upload: FileStorage | None) -> bool:
    note = (form.note.data or "").strip()
    if upload and note:
        form.note.errors.append("Share either a file or a note, not both.")
    elif not upload and not note:
        form.file.errors.append("Choose a file, or write a note below.")
    return bool(upload) != bool(note)


def _continues_playing() -> bool:
    return request.range is not None and bool(request.range.ranges) and (request.range.ranges[0][0] or 0) > 0


def _upload_page(client: Client, form: UploadForm, error: str | None = None, status: int = 200):
    if error:
        form.file.errors = [error]
    plain, left = current_app.config["PORCH_PLAIN_UPLOAD_MAX_BYTES"], quota_left(client)
    return render("documents/upload.html", client=client, form=form, limits=limits_sentence(),
                  plain_limit=megabytes(plain), quota_left=megabytes(left),
                  sizes={"document": document_limit(), "video": video_limit(), "left": left}, status=status)
