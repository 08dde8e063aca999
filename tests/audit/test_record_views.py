"""The client's "Who viewed my records" and the practice's audit log."""

import io
from datetime import UTC, datetime

from sqlalchemy import select

from app import clock
from app.db import db
from app.documents.models import Document
from app.forms.service import send_form
from tests.conftest import make_client, make_portal_account
from tests.documents import files
from tests.forms.test_views import submitted


def test_it_tells_the_client_in_plain_words_who_opened_her_phq9_and_when(practice, as_user):
    make_portal_account(practice.aisha)
    form = send_form(practice.aisha, practice.carlos, "builtin:phq9")
    submitted(form, {f"q{n}": "1" for n in range(1, 10)})
    clock.freeze(datetime(2026, 12, 1, 15, 4, tzinfo=UTC))  # 10:04 in New York
    carlos = as_user(practice.carlos)
    assert carlos.get(f"/clients/{practice.aisha.id}/forms/{form.id}").status_code == 200
    clock.freeze(datetime(2026, 12, 1, 15, 30, tzinfo=UTC))
    assert carlos.get(f"/clients/{practice.aisha.id}").status_code == 200
    page = as_user(practice.aisha.account).get("/portal/account/views").get_data(as_text=True)
    phq9 = "Carlos Diaz opened your PHQ-9 answers on <time datetime=\"2026-12-01T15:04:00+00:00\">" \
           "Tuesday 1 December at 10:04 AM</time>"
    assert phq9 in page
    assert page.index("Carlos Diaz opened your record") < page.index(phq9)


def test_it_names_the_document_staff_opened_and_leaves_out_the_clients_own_doings(practice, as_user):
    make_portal_account(practice.aisha)
    aisha = as_user(practice.aisha.account)
    aisha.post("/portal/documents/upload", {"file": (io.BytesIO(files.png()), "knee.png")})
    document = db.session.scalar(select(Document))
    carlos = as_user(practice.carlos)
    carlos.get(f"/clients/{practice.aisha.id}/documents/{document.id}/file?download=1")
    page = aisha.get("/portal/account/views").get_data(as_text=True)
    assert "Carlos Diaz downloaded your upload “knee.png”" in page
    assert "Aisha" not in page.split("<h1>")[1]


def test_it_pages_through_views_newest_first(practice, as_user):
    make_portal_account(practice.aisha)
    carlos = as_user(practice.carlos)
    for _ in range(30):
        carlos.get(f"/clients/{practice.aisha.id}")
    aisha = as_user(practice.aisha.account)
    first = aisha.get("/portal/account/views").get_data(as_text=True)
    assert first.count("opened your record") == 25
    older = first.split('href="/portal/account/views?before=')[1].split('"')[0]
    second = aisha.get(f"/portal/account/views?before={older}").get_data(as_text=True)
    assert second.count("opened your record") == 5
    assert "?before=" not in second


def test_it_shows_no_other_clients_views(practice, as_user):
    ben = make_client(practice.workspace, "Ben", "Other", "ben@example.com", care_team=[practice.carlos])
    as_user(practice.carlos).get(f"/clients/{ben.id}")
    make_portal_account(practice.aisha)
    page = as_user(practice.aisha.account).get("/portal/account/views").get_data(as_text=True)
    assert "No one at your practice has opened your records yet." in page


def test_it_shows_owners_the_audit_log_filtered_and_keeps_practitioners_out(practice, as_user):
    carlos = as_user(practice.carlos)
    carlos.get(f"/clients/{practice.aisha.id}")
    assert carlos.get("/settings/audit").status_code == 403
    owner = as_user(practice.owner)
    everything = owner.get("/settings/audit").get_data(as_text=True)
    assert "client.viewed" in everything and "login" in everything
    only_views = owner.get(f"/settings/audit?action=client.viewed&person={practice.carlos.id}").get_data(as_text=True)
    assert "<td>client.viewed</td>" in only_views and "<td>login</td>" not in only_views
    assert "Aisha Rahman" in only_views


def test_it_says_what_is_wrong_with_a_filter_next_to_the_field(practice, as_user):
    owner = as_user(practice.owner)
    response = owner.get("/settings/audit?since=2026-12-05&until=2026-12-01&person=nobody")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="until-error">Choose a day on or after the first day.' in page
    assert 'id="person-error">Not a valid choice.' in page
