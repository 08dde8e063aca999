import re
import uuid

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.clients.invites import send_portal_invite
from app.db import db
from app.documents.service import share_document
from app.forms.service import send_form


def checklist(visitor) -> str | None:
    found = re.search(r'<section id="getting-started".*?</section>', visitor.get("/clients").get_data(as_text=True),
                      re.DOTALL)
    return found.group(0) if found else None


def ticked(section: str) -> list[str]:
    return re.findall(r'<a href="[^"]+">([^<]+)</a> \(done\)', section)


def test_it_shows_a_new_owner_0_of_5_each_step_linking_to_its_place(practice, as_user):
    section = checklist(as_user(practice.owner))
    assert "0 of 5 done" in section
    for step, place in [("Brand your portal", "/settings/branding"),
                        ("Choose how clients may write", "/settings/communications"),
                        ("Invite clients to the portal", "/settings/workflows"),
                        ("Send a first form", "/forms"), ("Share a first document", "/clients")]:
        assert f'<a href="{place}">{step}</a>' in section


def test_it_ticks_each_step_from_what_the_practice_did(practice, as_user):
    owner = as_user(practice.owner)
    owner.post("/settings/branding", {"name": "Brunswick Practice", "brand_colour": "#2e6b4f"},
               content_type="multipart/form-data")
    assert ticked(checklist(owner)) == ["Brand your portal"]
    owner.post("/settings/communications", {"mode": "reply_only"})  # choosing the default still counts
    send_portal_invite(practice.aisha, practice.owner)
    send_form(practice.aisha, practice.carlos, "builtin:phq9", request_key=str(uuid.uuid4()))
    db.session.commit()
    assert "4 of 5 done" in checklist(owner)
    share_document(practice.aisha, practice.carlos, title="Handout", kind="handout", request_key=str(uuid.uuid4()),
                   note="Walk daily.")
    db.session.commit()
    section = checklist(owner)
    assert "5 of 5 done" in section
    assert len(ticked(section)) == 5


def test_it_counts_automatic_invites_as_the_invite_step(practice, as_user):
    owner = as_user(practice.owner)
    owner.post("/settings/workflows", {"automate_portal_invites": "y"})
    assert ticked(checklist(owner)) == ["Invite clients to the portal"]


def test_it_is_only_for_owners(practice, as_user):
    assert checklist(as_user(practice.admin)) is None
    carlos = as_user(practice.carlos)
    assert checklist(carlos) is None
    assert carlos.post("/getting-started/dismiss").status_code == 403


def test_it_can_be_put_away_with_js_off_and_on(practice, as_user):
    owner = as_user(practice.owner)
    response = owner.post("/getting-started/dismiss")
    assert response.status_code == 303 and response.location.endswith("/clients")
    home = owner.get("/clients").get_data(as_text=True)
    assert "Getting started is put away." in home and 'id="getting-started"' not in home
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.getting_started_dismissed"))
    practice.workspace.getting_started_dismissed_at = None
    db.session.commit()
    fragment = owner.post("/getting-started/dismiss", htmx=True).get_data(as_text=True)
    assert fragment.strip().startswith('<div id="getting-started" class="note" role="status">'
                                       '<p>Getting started is put away.</p></div>')


def test_it_refuses_putting_it_away_without_csrf(practice, as_user):
    assert as_user(practice.owner).post("/getting-started/dismiss", csrf=False).status_code == 400
