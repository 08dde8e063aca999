"""Export my data: asking for it, building the zip (one file in memory at a time), handing it over once."""

import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import or_, select, update

from app import clock
from app.appointments.models import Appointment
from app.appointments.service import calendar_of
from app.audit.trail import record
from app.auth.models import User
from app.auth.tokens import digest, new_token
from app.clients.models import Client
from app.db import db
from app.documents.models import Document
from app.documents.sealing import RECORD_SIZE, RecordWriter, SealedFile
from app.documents.service import clean_file_name
from app.documents.storage import storage
from app.exports.models import DataExport
from app.forms import answers as kinds
from app.forms.models import FormRequest
from app.forms.service import answers_of, questions_of
from app.inbox.models import ConversationClient, Message
from app.queue import enqueue

LINK_LIFETIME = timedelta(hours=48)
BUILD_LEASE = timedelta(minutes=15)
FIXED_STEPS = 4  # profile, appointments, form answers, messages; then one step per file


def latest_export(client: Client) -> DataExport | None:
    return db.session.scalar(select(DataExport).where(DataExport.client_id == client.id)
                             .order_by(DataExport.id.desc()).limit(1))


def usable(export: DataExport | None) -> bool:
    """Being built, or built and still waiting to be downloaded before its link expires."""
    if export is None:
        return False
    return export.in_progress or (export.status == "ready" and export.downloaded_at is None
                                  and export.expires_at is not None and export.expires_at > clock.now())


def request_export(client: Client, asked_by: User) -> DataExport:
    """A new export, or the one already on its way or waiting to be downloaded (a second click makes no second)."""
    existing = latest_export(client)
    if usable(existing):
        return existing
    export = DataExport(workspace_id=client.workspace_id, client_id=client.id, status="waiting",
                        created_at=clock.now())
    db.session.add(export)
    db.session.flush()
    record("data_export.requested", workspace_id=client.workspace_id, client_id=client.id,
           actor_user_id=asked_by.id, subject_type="data_export", subject_id=export.id)
    enqueue("jobs.exports.build_export", export.id)
    return export


# --- building ------------------------------------------------------------------------------------

class SealedZipTarget:
    """Where zipfile writes: sealed into storage record by record as the bytes come (no seeking, no plaintext on
    disk, one record in memory)."""

    def __init__(self, store, key: str):
        self._file = store.open_for_append(key, 0)
        self._writer = RecordWriter.start(self._file)
        self._pending = bytearray()
        self.size = 0

    def write(self, data) -> int:
        self._pending += data
        self.size += len(data)
        while len(self._pending) > RECORD_SIZE:
            self._writer.write(bytes(self._pending[:RECORD_SIZE]))
            del self._pending[:RECORD_SIZE]
        return len(data)

    def flush(self) -> None:
        pass

    def finish(self) -> None:
        self._writer.write(bytes(self._pending), last=True)
        self._pending.clear()
        self._file.flush()
        self._file.close()

    def abandon(self) -> None:
        self._file.close()


def claim_build(export_id: int) -> bool:
    """One builder at a time: a waiting export, or one whose builder stopped answering (its lease ran out)."""
    now = clock.now()
    result = db.session.execute(
        update(DataExport).where(DataExport.id == export_id, or_(
            DataExport.status == "waiting",
            (DataExport.status == "building") & (DataExport.build_claimed_until < now)))
        .values(status="building", build_claimed_until=now + BUILD_LEASE, steps_done=0))
    db.session.commit()
    return result.rowcount == 1


def build(export_id: int) -> None:
    if not claim_build(export_id):
        return
    export = db.session.get(DataExport, export_id)
    client = export.client
    store = storage()
    if export.storage_key:  # an earlier builder died part way: start again
        store.delete(export.storage_key)
    documents = _documents_of(client)
    export.storage_key, export.steps_total = store.new_key(), FIXED_STEPS + len(documents)
    db.session.commit()
    target = SealedZipTarget(store, export.storage_key)
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for step in _steps(client, documents, archive):
                step()
                export.steps_done += 1
                export.build_claimed_until = clock.now() + BUILD_LEASE
                db.session.commit()
        target.finish()
    except Exception:
        target.abandon()
        db.session.rollback()
        export = db.session.get(DataExport, export_id)
        store.delete(export.storage_key)
        export.status, export.storage_key, export.build_claimed_until = "failed", None, None
        db.session.commit()
        raise
    token, export.token_hash = new_token()
    export.sealed_token = token
    now = clock.now()
    export.status, export.size, export.ready_at, export.build_claimed_until = "ready", target.size, now, None
    export.expires_at = now + LINK_LIFETIME
    enqueue("jobs.exports.send_export_ready", export.id)
    db.session.commit()


def _documents_of(client: Client) -> list[int]:
    return list(db.session.scalars(select(Document.id).where(
        Document.client_id == client.id,
        or_(Document.origin == "client", Document.unshared_at.is_(None))).order_by(Document.id)))


def _steps(client: Client, documents: list[int], archive: zipfile.ZipFile) -> Iterator:
    yield lambda: _write_profile(client, archive)
    yield lambda: _write_appointments(client, archive)
    yield lambda: _write_forms(client, archive)
    yield lambda: _write_messages(client, archive)
    for document_id in documents:
        yield lambda document_id=document_id: _write_file(document_id, archive)


def _json(archive: zipfile.ZipFile, name: str, value) -> None:
    archive.writestr(name, json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _write_profile(client: Client, archive: zipfile.ZipFile) -> None:
    account = client.account
    profile = {"practice": client.workspace.name, "first_name": client.first_name, "last_name": client.last_name,
               "email": client.email, "phone": client.phone, "date_of_birth": client.birth_date,
               "time_zone": client.time_zone, "portal_login": account.email if account else None,
               "client_since": client.created_at.isoformat()}
    _json(archive, "profile.json", profile)


def _write_appointments(client: Client, archive: zipfile.ZipFile) -> None:
    appointments = list(db.session.scalars(select(Appointment).where(Appointment.client_id == client.id)
                                           .order_by(Appointment.starts_at)))
    host = urlsplit(current_app.config["PORCH_BASE_URL"]).hostname or "porch"
    archive.writestr("appointments.ics", calendar_of(appointments, client.workspace.name, host,
                                                     client.workspace.white_label))


def _write_forms(client: Client, archive: zipfile.ZipFile) -> None:
    forms = db.session.scalars(select(FormRequest).where(FormRequest.client_id == client.id,
                                                         FormRequest.submitted_at.is_not(None))
                               .order_by(FormRequest.submitted_at, FormRequest.id))
    for form in forms:
        answers = answers_of(form)
        items = [{"question": q["prompt"], "answer": kinds.as_text(q, answers.get(q["key"]))}
                 for q in questions_of(form)]
        name = f"forms/{form.submitted_at:%Y-%m-%d}-{form.id}"
        _json(archive, f"{name}.json", {"form": form.title, "sent_at": form.sent_at.isoformat(),
                                        "submitted_at": form.submitted_at.isoformat(), "answers": items})
        archive.writestr(f"{name}.html", render_template("exports/form.html", form=form, items=items,
                                                         time_zone=client.time_zone))


def _write_messages(client: Client, archive: zipfile.ZipFile) -> None:
    messages = db.session.scalars(
        select(Message).join(ConversationClient, ConversationClient.conversation_id == Message.conversation_id)
        .where(ConversationClient.client_id == client.id).order_by(Message.conversation_id, Message.id))
    conversations: dict[int, list[dict]] = {}
    for message in messages:
        sender = message.sender
        # a fellow group member: first names only, as in the portal
        who = sender.first_name if sender.is_client and sender.client_id != client.id else sender.name
        conversations.setdefault(message.conversation_id, []).append(
            {"from": who, "at": message.created_at.isoformat(), "text": message.body})
    threads = [{"conversation": number, "messages": items}
               for number, (_, items) in enumerate(conversations.items(), start=1)]
    _json(archive, "messages.json", threads)
    archive.writestr("messages.html", render_template("exports/messages.html", threads=threads))


def _write_file(document_id: int, archive: zipfile.ZipFile) -> None:
    document = db.session.get(Document, document_id)
    folder = "files/my-uploads" if document.origin == "client" else "files/shared-with-me"
    name = clean_file_name(document.file_name).replace("/", "_").replace("\\", "_")
    with (SealedFile(storage().open_for_reading(document.storage_key)) as sealed,
          archive.open(f"{folder}/{document.id}-{name}", "w", force_zip64=True) as entry):
        for chunk in sealed.chunks():
            entry.write(chunk)


# --- handing over --------------------------------------------------------------------------------

def export_by_token(client: Client, token: str) -> DataExport | None:
    return db.session.scalar(select(DataExport).where(DataExport.client_id == client.id,
                                                      DataExport.token_hash == digest(token)))


def take_download(export: DataExport, by: User) -> bool:
    """Mark the one download taken (a conditional update: two clicks race, one wins); audited."""
    now = clock.now()
    result = db.session.execute(
        update(DataExport).where(DataExport.id == export.id, DataExport.status == "ready",
                                 DataExport.downloaded_at.is_(None), DataExport.expires_at > now)
        .values(downloaded_at=now, sealed_token=None))
    if result.rowcount != 1:
        db.session.rollback()
        return False
    record("data_export.downloaded", workspace_id=export.workspace_id, client_id=export.client_id,
           actor_user_id=by.id, subject_type="data_export", subject_id=export.id)
    db.session.commit()
    return True


def zip_chunks(storage_key: str) -> Iterator[bytes]:
    """The zip's bytes, decrypted a record at a time; the stored file is deleted once it has gone out."""
    store = storage()
    try:
        with SealedFile(store.open_for_reading(storage_key)) as sealed:
            yield from sealed.chunks()
    finally:
        store.delete(storage_key)


def remove_spent_exports() -> int:
    """Delete the stored zips of exports downloaded or past their link's expiry; the row stays (it is audited)."""
    now = clock.now()
    spent = db.session.scalars(select(DataExport).where(
        DataExport.storage_key.is_not(None), DataExport.status.in_(("ready", "failed")),
        or_(DataExport.downloaded_at.is_not(None), DataExport.expires_at <= now))).all()
    store = storage()
    for export in spent:
        store.delete(export.storage_key)
        export.storage_key, export.sealed_token, export.deleted_at = None, None, now
        if export.downloaded_at is None:
            export.status = "expired"
    db.session.commit()
    return len(spent)


def stalled_builds() -> list[int]:
    """Exports whose build job was lost (a dead worker, a restart): waiting a minute, or a lapsed lease."""
    now = clock.now()
    return list(db.session.scalars(select(DataExport.id).where(or_(
        (DataExport.status == "waiting") & (DataExport.created_at < now - timedelta(minutes=1)),
        (DataExport.status == "building") & (DataExport.build_claimed_until < now)))))
