"""Documents at a client with years of them: the portal and the record page them, newest first, and run the
same queries for 3 or 60."""

import re
import uuid
from datetime import timedelta
from html import unescape

from app import clock
from app.db import db
from app.documents.models import Document
from tests.conftest import counting_queries, make_portal_account


def documents(client, shared: int, uploads: int) -> list[int]:
    """`shared` documents from the practice and `uploads` from the client, an hour apart; ids newest first."""
    start = clock.now() - timedelta(days=30)
    rows = [Document(workspace_id=client.workspace_id, client_id=client.id,
                     origin="practice" if n < shared else "client", kind="other", title=f"Doc {n}",
                     file_name=f"file-{n}.pdf", content_type="application/pdf", size=1000,
                     storage_key=uuid.uuid4().hex, created_at=start + timedelta(hours=n))
            for n in range(shared + uploads)]
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in reversed(rows)]


def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/(?:clients/\d+|portal)/documents/(\d+)(?:/file)?">', html)]


def _section(html: str, section_id: str) -> str:
    part = html[html.index(f'<div id="{section_id}">'):]
    return part[:part.index("</div>")]


def _next(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)"[^>]*rel="next"', html)
    return unescape(found.group(1)) if found else None


def test_the_portal_pages_shared_documents_newest_first_without_javascript(practice, as_user):
    ids = documents(practice.aisha, 70, 0)
    aisha = as_user(make_portal_account(practice.aisha))
    first = _section(aisha.get("/portal/documents").get_data(as_text=True), "documents-shared")
    assert _ids(first) == ids[:50]
    rest = aisha.get(_next(first), htmx=True).get_data(as_text=True)
    assert rest.lstrip().startswith('<div id="documents-shared">') and _ids(rest) == ids[50:]


def test_the_record_shows_the_latest_and_the_full_list_pages_uploads(practice, as_user):
    ids = documents(practice.aisha, 0, 65)
    owner = as_user(practice.owner)
    record = owner.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert _ids(_section(record, "client-documents-uploads")) == ids[:10]
    assert f'href="/clients/{practice.aisha.id}/documents"' in record
    listing = owner.get(f"/clients/{practice.aisha.id}/documents").get_data(as_text=True)
    first = _section(listing, "client-documents-uploads")
    assert _ids(first) == ids[:50]
    second = owner.get(_next(first)).get_data(as_text=True)
    assert _ids(_section(second, "client-documents-uploads")) == ids[50:]


def test_the_portal_and_the_record_run_the_same_queries_for_3_or_60_documents(practice, as_user):
    account = make_portal_account(practice.aisha)
    documents(practice.aisha, 2, 1)
    counts = []
    for _ in range(2):
        for user, url in ((account, "/portal/documents"), (practice.owner, f"/clients/{practice.aisha.id}")):
            viewer = as_user(user)
            viewer.get(url)
            with counting_queries() as statements:
                assert viewer.get(url).status_code == 200
            counts.append(len(statements))
        documents(practice.aisha, 30, 27)
    assert counts[:2] == counts[2:]
