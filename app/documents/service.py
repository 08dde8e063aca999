"""Documents: sharing with a client, unsharing, keeping a client's upload (whole, or resumable piece by piece).

Every stored file is sealed (app.documents.sealing) before it reaches storage, and a file that is refused
leaves nothing behind: neither bytes in storage nor a row in the database.
"""

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import BinaryIO

from flask import current_app
from sqlalchemy import func, or_, select, update
from werkzeug.exceptions import ClientDisconnected

from app import clock
from app.audit.trail import record
from app.auth.models import User
from app.clients.models import Client
from app.db import db
from app.documents.file_types import (
    SNIFF_SIZE,
    Refused,
    bare_file_name,
    check_complete,
    check_type_and_size,
    largest_limit,
    megabytes,
)
from app.documents.models import Document, DocumentNotice, DocumentUpload
from app.documents.sealing import RECORD_SIZE, RecordWriter, SealedFile, SealingStream, Tampered, rewrapped_header
from app.documents.storage import storage
from app.paging import KeysetPage, keyset_page_of
from app.queue import enqueue
from app.rotation import ROTATION_BATCH, Rotated
from app.tenancy import repeat_of

UPLOAD_TTL = timedelta(hours=24)
WRITE_LEASE = timedelta(seconds=30)
RENEW_EVERY_SECONDS = 5
NOTE_MAX = 20_000


# --- finding -------------------------------------------------------------------------------------

DOCUMENTS_PAGE = 50


def _page_of(query, cursor: str | None, size: int, scope: str) -> KeysetPage:
    return keyset_page_of(query, [Document.created_at, Document.id], cursor, size, scope=scope, descending=True)


def shared_with(client: Client, cursor: str | None = None, size: int = DOCUMENTS_PAGE) -> KeysetPage:
    """What the practice shares with the client now (unshared documents are gone from the client's view),
    newest first, a page at a time."""
    return _page_of(select(Document).where(Document.client_id == client.id, Document.origin == "practice",
                                           Document.unshared_at.is_(None)), cursor, size, "documents-shared")


def shared_by_practice(client: Client, cursor: str | None = None, size: int = DOCUMENTS_PAGE) -> KeysetPage:
    return _page_of(select(Document).where(Document.client_id == client.id, Document.origin == "practice"),
                    cursor, size, "documents-shared-ever")


def uploads_of(client: Client, cursor: str | None = None, size: int = DOCUMENTS_PAGE) -> KeysetPage:
    return _page_of(select(Document).where(Document.client_id == client.id, Document.origin == "client"),
                    cursor, size, "documents-uploads")


def quota_used(client: Client) -> int:
    kept = db.session.scalar(select(func.coalesce(func.sum(Document.size), 0)).where(
        Document.client_id == client.id, Document.origin == "client"))
    coming = db.session.scalar(select(func.coalesce(func.sum(DocumentUpload.length), 0)).where(
        DocumentUpload.client_id == client.id))
    return int(kept) + int(coming)


def quota_left(client: Client) -> int:
    return max(current_app.config["PORCH_CLIENT_QUOTA_BYTES"] - quota_used(client), 0)


def _check_quota(client: Client, size: int) -> None:
    left = quota_left(client)
    if size > left:
        raise Refused(413, f"This file is {megabytes(size)}, but only {megabytes(left)} of your "
                           f"{megabytes(current_app.config['PORCH_CLIENT_QUOTA_BYTES'])} of space is left. "
                           "Ask your practice to make room.")


# --- files arriving in a form --------------------------------------------------------------------

@contextmanager
def sealed_form_files() -> Iterator[list[SealingStream]]:
    """While a form is read, each file in it is sealed straight into storage; those not kept are deleted after."""
    arrived: list[SealingStream] = []
    try:
        yield arrived
    finally:
        for stream in arrived:
            stream.close()
            if not stream.kept:
                stream.store.delete(stream.key)


def sealing_stream_factory(arrived: list[SealingStream]):
    """werkzeug's stream_factory: where each uploaded form file is written as it arrives."""

    def open_stream(total_content_length=None, content_type=None, filename=None, content_length=None):
        store = storage()
        stream = SealingStream(store, store.new_key())
        arrived.append(stream)
        return stream

    return open_stream


def _keep(stream: SealingStream) -> str:
    """Check a form file that has arrived; its content type if it may be kept, Refused otherwise."""
    stream.finish()
    content_type = check_type_and_size(stream.head, stream.size)
    with SealedFile(stream.store.open_for_reading(stream.key)) as sealed:
        check_complete(content_type, stream.size, sealed.read_at)
    return content_type


# --- sharing -------------------------------------------------------------------------------------

def share_document(client: Client, shared_by: User, *, title: str, kind: str, request_key: str,
                   file_name: str | None = None, upload: SealingStream | None = None,
                   note: str | None = None) -> Document:
    """Share a file (already sealed in storage) or a note with the client; a repeat of the same form returns
    the first document. The client is e-mailed (without health data) if they have a portal account."""
    repeat = repeat_of(Document, client.workspace_id, request_key)
    if repeat is not None:
        return repeat
    if upload is not None:
        return _share(client, shared_by, title, kind, request_key, file_name or "document", upload, _keep(upload))
    note_file = _seal_note(note or "")
    try:
        return _share(client, shared_by, title, kind, request_key, f"{title}.txt", note_file, "text/plain")
    finally:
        if not note_file.kept:
            note_file.store.delete(note_file.key)


def _share(client: Client, shared_by: User, title: str, kind: str, request_key: str, file_name: str,
           upload: SealingStream, content_type: str) -> Document:
    document = Document(workspace_id=client.workspace_id, client_id=client.id, origin="practice", kind=kind,
                        title=title, file_name=file_name, content_type=content_type, size=upload.size,
                        storage_key=upload.key, created_by_user_id=shared_by.id, request_key=request_key,
                        created_at=clock.now())
    db.session.add(document)
    db.session.flush()
    upload.kept = True
    record("document.shared", workspace_id=client.workspace_id, client_id=client.id)
    _notify(document)
    return document


def _seal_note(text: str) -> SealingStream:
    """A note is kept as a plain-text file (whatever it starts with: it is only ever served as text/plain)."""
    store = storage()
    stream = SealingStream(store, store.new_key())
    try:
        stream.write(text.replace("\r\n", "\n").encode())
        stream.finish()
    except BaseException:
        store.delete(stream.key)
        raise
    return stream


def _notify(document: Document) -> None:
    account = document.client.account
    if account is None or not account.is_active or document.client.portal_disabled_at is not None:
        return  # nobody to tell: no portal account (yet)
    notice = DocumentNotice(workspace_id=document.workspace_id, document_id=document.id, created_at=clock.now())
    db.session.add(notice)
    db.session.flush()
    enqueue("jobs.documents.send_document_notice", notice.id)


def unshare_document(document: Document) -> None:
    if document.unshared_at is None:
        document.unshared_at = clock.now()
        record("document.unshared", workspace_id=document.workspace_id, client_id=document.client_id)


# --- a client's upload in one go (the plain form) ------------------------------------------------

def keep_client_upload(client: Client, uploaded_by: User, stream: SealingStream, file_name: str) -> Document:
    content_type = _keep(stream)
    _check_quota(client, stream.size)
    document = _client_document(client, uploaded_by, file_name, content_type, stream.size, stream.key)
    stream.kept = True
    return document


def _client_document(client: Client, uploaded_by: User, file_name: str, content_type: str, size: int,
                     storage_key: str) -> Document:
    name = clean_file_name(file_name)
    document = Document(workspace_id=client.workspace_id, client_id=client.id, origin="client", kind="upload",
                        title=name, file_name=name, content_type=content_type, size=size,
                        storage_key=storage_key, created_by_user_id=uploaded_by.id, created_at=clock.now())
    db.session.add(document)
    db.session.flush()
    record("document.uploaded", workspace_id=client.workspace_id, client_id=client.id,
           actor_user_id=uploaded_by.id)
    return document


def clean_file_name(name: str | None) -> str:
    """The name as the client's device gave it, without folders or control characters, for showing."""
    return bare_file_name(name).strip()[:200] or "upload"


# --- a client's resumable upload (tus) -----------------------------------------------------------

class LostClaim(Exception):
    """Another request took over this upload while ours was waiting for bytes."""


def start_upload(client: Client, uploaded_by: User, *, length: int, file_name: str) -> DocumentUpload:
    """Make room for an upload of `length` bytes; Refused if it can't be taken at all."""
    if length == 0:
        raise Refused(422, "This file is empty. Choose another file.")
    if length > largest_limit():
        raise Refused(413, f"This file is {megabytes(length)}; the most this portal accepts is "
                           f"{megabytes(largest_limit())} (for a video).")
    _check_quota(client, length)
    store = storage()
    key = store.new_key()
    with store.open_for_append(key, 0) as file:
        RecordWriter.start(file)
        stored = file.tell()
    now = clock.now()
    upload = DocumentUpload(token=secrets.token_urlsafe(24), workspace_id=client.workspace_id, client_id=client.id,
                            user_id=uploaded_by.id, file_name=clean_file_name(file_name), length=length, offset=0,
                            stored_bytes=stored, records=0, storage_key=key, created_at=now,
                            expires_at=now + UPLOAD_TTL)
    db.session.add(upload)
    db.session.flush()
    return upload


def receive_upload_part(upload: DocumentUpload, offset: int, body: BinaryIO, length: int) -> Document | None:
    """Append the bytes of one PATCH at `offset`; keep what arrived even if the connection drops.

    Returns the document once the last byte is in. Refused if the offset is wrong (409), someone else is
    writing (423), the part runs past the announced length (413), or the file turns out to be unacceptable
    (then the upload is gone).
    """
    if offset != upload.offset:
        raise Refused(409, f"The upload is at byte {upload.offset}, not {offset}.")
    if offset + length > upload.length:
        raise Refused(413, "This part runs past the end of the file announced.")
    claim = _claim(upload)
    upload_id, key, announced = upload.id, upload.storage_key, upload.length
    received, stored, records = 0, upload.stored_bytes, upload.records
    file = storage().open_for_append(key, stored)
    try:
        writer = RecordWriter.resume(file, records)
        renewed = time.monotonic()
        while received < length:
            try:
                block = body.read(min(RECORD_SIZE, length - received))
            except (ClientDisconnected, OSError):
                break
            if not block:
                break
            if time.monotonic() - renewed > RENEW_EVERY_SECONDS:
                _renew(upload_id, claim)
                renewed = time.monotonic()
            writer.write(block, last=offset + received + len(block) == announced)
            received += len(block)
            stored, records = file.tell(), writer.index
        file.flush()
        os.fsync(file.fileno())
    finally:
        file.close()
    done = db.session.execute(update(DocumentUpload).where(
        DocumentUpload.id == upload_id, DocumentUpload.claim_token == claim,
    ).values(offset=offset + received, stored_bytes=stored, records=records, claim_token=None, claimed_until=None,
             expires_at=clock.now() + UPLOAD_TTL))
    db.session.commit()
    if done.rowcount != 1:
        raise LostClaim(upload_id)
    db.session.refresh(upload)
    try:
        _check_so_far(upload)
        if upload.offset == upload.length:
            return _finish(upload)
    except Refused:
        cancel_upload(upload)
        db.session.commit()
        raise
    return None


def _claim(upload: DocumentUpload) -> str:
    """Only one request writes an upload at a time: a conditional UPDATE decides which."""
    token, now = secrets.token_hex(16), clock.now()
    taken = db.session.execute(update(DocumentUpload).where(
        DocumentUpload.id == upload.id, DocumentUpload.offset == upload.offset,
        or_(DocumentUpload.claimed_until.is_(None), DocumentUpload.claimed_until < now),
    ).values(claim_token=token, claimed_until=now + WRITE_LEASE))
    db.session.commit()
    if taken.rowcount != 1:
        db.session.refresh(upload)
        if upload.claimed_until is not None and upload.claimed_until >= now:
            raise Refused(423, "This upload is being sent by another connection. Wait a moment and try again.")
        raise Refused(409, f"The upload is at byte {upload.offset}.")
    return token


def _renew(upload_id: int, claim: str) -> None:
    kept = db.session.execute(update(DocumentUpload).where(
        DocumentUpload.id == upload_id, DocumentUpload.claim_token == claim,
    ).values(claimed_until=clock.now() + WRITE_LEASE))
    db.session.commit()
    if kept.rowcount != 1:
        raise LostClaim(upload_id)


def _check_so_far(upload: DocumentUpload) -> None:
    """As soon as the first bytes are in, tell the type: a wrong or oversized file stops early."""
    if upload.content_type is None and upload.offset >= min(SNIFF_SIZE, upload.length):
        with SealedFile(storage().open_for_reading(upload.storage_key), in_progress=True) as sealed:
            head = sealed.read_at(0, SNIFF_SIZE)
        upload.content_type = check_type_and_size(head, upload.length)
        db.session.commit()


def _finish(upload: DocumentUpload) -> Document:
    with SealedFile(storage().open_for_reading(upload.storage_key)) as sealed:
        check_complete(upload.content_type, upload.length, sealed.read_at)
    client = db.session.get(Client, upload.client_id)
    db.session.delete(upload)
    db.session.flush()
    uploaded_by = db.session.get(User, upload.user_id)
    document = _client_document(client, uploaded_by, upload.file_name, upload.content_type, upload.length,
                                upload.storage_key)
    db.session.commit()
    return document


def cancel_upload(upload: DocumentUpload) -> None:
    storage().delete(upload.storage_key)
    db.session.delete(upload)


def drop_abandoned_uploads() -> int:
    """Delete uploads nobody has added to for a day, bytes and all."""
    stale = db.session.scalars(select(DocumentUpload).where(DocumentUpload.expires_at < clock.now())).all()
    for upload in stale:
        cancel_upload(upload)
    db.session.commit()
    return len(stale)


# --- key rotation --------------------------------------------------------------------------------

def rewrap_data_keys(batch_size: int = ROTATION_BATCH) -> Iterator[Rotated]:
    """Each stored file's data key wrapped again under the newest key; the sealed records stay as they are.

    A file already under the newest key is left alone, so a run cut short carries on where it stopped.
    Uploads go first: one that finishes meanwhile becomes a document, which the second pass then sees.
    """
    uploads = Rotated("uploads in progress (stored files)", unit="files", done="re-wrapped")
    for batch in _in_batches(select(DocumentUpload.id, DocumentUpload.storage_key), DocumentUpload.id, batch_size):
        for upload_id, key in batch:
            outcome = _rewrap_upload(upload_id, key)
            if outcome is not None:
                uploads.count(*outcome)
    yield uploads
    documents = Rotated("documents (stored files)", unit="files", done="re-wrapped")
    for batch in _in_batches(select(Document.id, Document.storage_key), Document.id, batch_size):
        for document_id, key in batch:
            documents.count(*_rewrap_file(key, f"document {document_id}"))
    yield documents


def _in_batches(query, key, batch_size: int) -> Iterator[list]:
    after = None
    while rows := db.session.execute((query if after is None else query.where(key > after))
                                     .order_by(key).limit(batch_size)).all():
        yield rows
        after = rows[-1][0]


def _rewrap_file(key: str, what: str) -> tuple[str, str]:
    store = storage()
    try:
        with store.open_for_reading(key) as file:
            head = rewrapped_header(file)
    except FileNotFoundError:
        return "failed", f"{what}: the stored file is missing"
    except Tampered as error:
        return "failed", f"{what}: {error}"
    if head is None:
        return "current", ""
    store.replace_head(key, head)
    return "rewrapped", ""


def _rewrap_upload(upload_id: int, key: str) -> tuple[str, str] | None:
    """An upload still being sent is claimed first, as a PATCH would, so that no part lands in the old file.

    None when the upload is gone meanwhile (cancelled, or finished and so a document now).
    """
    claim, now = secrets.token_hex(16), clock.now()
    taken = db.session.execute(update(DocumentUpload).where(
        DocumentUpload.id == upload_id,
        or_(DocumentUpload.claimed_until.is_(None), DocumentUpload.claimed_until < now),
    ).values(claim_token=claim, claimed_until=now + WRITE_LEASE))
    db.session.commit()
    if taken.rowcount != 1:
        if db.session.get(DocumentUpload, upload_id) is None:
            return None
        return "failed", f"upload {upload_id}: a part is being sent right now; run rotate-keys again"
    try:
        return _rewrap_file(key, f"upload {upload_id}")
    finally:
        released = db.session.execute(update(DocumentUpload).where(
            DocumentUpload.id == upload_id, DocumentUpload.claim_token == claim,
        ).values(claim_token=None, claimed_until=None))
        db.session.commit()
        cancelled = released.rowcount != 1 and db.session.get(DocumentUpload, upload_id) is None and \
            db.session.scalar(select(Document.id).where(Document.storage_key == key)) is None
        if cancelled:
            storage().delete(key)  # the rewritten copy must not outlive a cancelled upload
