"""Documents on the staff side: share with a client, open the client's uploads, stop sharing.

The client's side is app.documents.portal; how a post with a file is read (and why it is CSRF-exempt), in
app.documents.posted_files.
"""

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from app.audit.trail import record
from app.auth.access import staff_required
from app.clients.access import client_or_404
from app.clients.models import Client
from app.db import db
from app.documents.downloads import file_response
from app.documents.file_types import Refused, document_limit, limits_sentence, megabytes, video_limit
from app.documents.forms import ShareForm
from app.documents.models import Document
from app.documents.posted_files import chosen_file, read_form_with_files
from app.documents.service import (
    sealed_form_files,
    share_document,
    shared_by_practice,
    unshare_document,
    uploads_of,
)
from app.extensions import csrf
from app.form_base import ButtonForm
from app.pages import render, see_other
from app.paging import cursor_arg
from app.tenancy import of_client_or_404

bp = Blueprint("documents", __name__)
ON_RECORD = 10


@bp.app_template_filter()
def file_size(size: int) -> str:
    return f"{max(round(size / 1024), 1)} KB" if size < 1024 * 1024 else megabytes(size)


@bp.app_template_global()
def client_documents(client: Client) -> dict:
    """What the Documents panel of a client record lists (the record itself checked who may see it)."""
    shared, uploads = shared_by_practice(client, size=ON_RECORD), uploads_of(client, size=ON_RECORD)
    return {"shared": shared, "uploads": uploads, "more": shared.has_next or uploads.has_next}


@bp.get("/clients/<int:client_id>/documents")
@staff_required
def all_documents(client_id: int):
    """Everything shared with a client and everything they uploaded, newest first, a page at a time."""
    client = client_or_404(client_id)
    record("client.viewed", workspace_id=client.workspace_id, client_id=client.id)
    db.session.commit()
    section = "uploads" if "uploads" in request.args else "shared"
    return render("documents/all.html", "documents/_staff_section.html", client=client, section=section,
                  listing=True, shared=shared_by_practice(client, cursor_arg(request.args.get("shared"))),
                  uploads=uploads_of(client, cursor_arg(request.args.get("uploads"))))


@bp.route("/clients/<int:client_id>/documents/new", methods=["GET", "POST"])
@csrf.exempt
@staff_required
def share(client_id: int):
    client = client_or_404(client_id)
    if request.method == "GET":
        return render("documents/share.html", client=client, form=ShareForm(), limits=limits_sentence())
    with sealed_form_files() as arrived:
        too_large = read_form_with_files(arrived, max(document_limit(), video_limit()))
        if too_large:
            form = ShareForm(formdata=None)
            form.file.errors = [too_large]
            return render("documents/share.html", client=client, form=form, limits=limits_sentence(), http_status=413)
        csrf.protect()
        form, upload, status = ShareForm(), chosen_file(), 422
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
    return render("documents/share.html", client=client, form=form, limits=limits_sentence(), http_status=status)


@bp.get("/clients/<int:client_id>/documents/<int:document_id>")
@staff_required
def show(client_id: int, document_id: int):
    client = client_or_404(client_id)
    document = of_client_or_404(client, Document, document_id)
    record("document.viewed", workspace_id=client.workspace_id, client_id=client.id, subject_type="document",
           subject_id=document.id)
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
               client_id=client.id, subject_type="document", subject_id=document.id)
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


# --- pieces --------------------------------------------------------------------------------------

def _file_or_note(form: ShareForm, upload: FileStorage | None) -> bool:
    note = (form.note.data or "").strip()
    if upload and note:
        form.note.errors.append("Share either a file or a note, not both.")
    elif not upload and not note:
        form.file.errors.append("Choose a file, or write a note below.")
    return bool(upload) != bool(note)


def _continues_playing() -> bool:
    return request.range is not None and bool(request.range.ranges) and (request.range.ranges[0][0] or 0) > 0
