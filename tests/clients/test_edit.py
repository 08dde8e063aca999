"""Changing a client's details from the record: the same fields and checks as adding, a refused invite re-sent to
the corrected address in one step, an active login moved to the new address with both addresses told."""

import re
import uuid

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.clients.invites import portal_status, send_portal_invite
from app.clients.models import AddressChangeNotice, Client, PortalInvite
from app.db import db
from jobs.sweeps import run_sweeps
from tests.conftest import PASSWORD, Visitor, make_client, make_portal_account, run_jobs


def details(client: Client, **fields) -> dict:
    form = {"first_name": client.first_name, "last_name": client.last_name, "email": client.email or "",
            "phone": client.phone or "", "date_of_birth": client.birth_date or "", "time_zone": client.time_zone,
            "care_team": [str(u.id) for u in client.care_team], "request_key": str(uuid.uuid4())}
    form.update(fields)
    return form


def edit_url(client: Client) -> str:
    return f"/clients/{client.id}/edit"


def test_it_offers_the_details_filled_in_from_the_record(practice, as_user):
    practice.aisha.phone = "+1 207 555 0134"
    db.session.commit()
    carlos = as_user(practice.carlos)
    assert f'href="/clients/{practice.aisha.id}/edit"' in carlos.get(
        f"/clients/{practice.aisha.id}").get_data(as_text=True)
    page = carlos.get(edit_url(practice.aisha)).get_data(as_text=True)
    assert "<h1>Edit Aisha Rahman</h1>" in page
    assert 'value="aisha@example.com"' in page and 'value="+1 207 555 0134"' in page
    checked = rf'<input checked id="care_team-\d+" name="care_team" type="checkbox" value="{practice.carlos.id}">'
    assert re.search(checked, page)
    assert not re.search(rf'<input checked [^>]* value="{practice.priya.id}">', page)


def test_it_changes_the_details_and_audits_which_fields_changed_but_not_their_values(practice, as_user):
    carlos = as_user(practice.carlos)
    form = details(practice.aisha, phone="+1 555 0199", time_zone="Europe/London", date_of_birth="1991-03-14",
                   care_team=[str(practice.carlos.id), str(practice.priya.id)])
    response = carlos.post(edit_url(practice.aisha), form)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/clients/{practice.aisha.id}"
    page = carlos.get(response.headers["Location"]).get_data(as_text=True)
    assert "Aisha Rahman&#39;s details are saved." in page
    assert "+1 555 0199" in page and "Europe/London" in page and "Carlos Diaz, Priya Shah" in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "client.updated"))
    assert event.client_id == practice.aisha.id and event.actor_user_id == practice.carlos.id
    assert event.detail == "phone, birth_date, time_zone, care_team"
    again = carlos.post(edit_url(practice.aisha), details(practice.aisha))
    assert "Nothing changed." in carlos.get(again.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "client.updated")) == 1


def test_it_shows_each_bad_field_next_to_it_and_changes_nothing(practice, as_user):
    make_client(practice.workspace, "Ben", "Okafor", "ben@example.com")
    carlos = as_user(practice.carlos)
    cases = [
        ({"first_name": ""}, "Enter the client&#39;s first name."),
        ({"last_name": "x" * 61}, "Use at most 60 characters."),
        ({"email": "not-an-address"}, "Enter a valid e-mail address"),
        ({"email": "BEN@example.com"}, "Another client already uses this e-mail address."),
        ({"phone": "call me maybe"}, "Use digits, spaces and + ( ) - only."),
        ({"date_of_birth": "2999-01-01"}, "Enter a date of birth in the past."),
        ({"time_zone": "Mars/Olympus"}, "Not a valid choice."),
        ({"care_team": ["999999"]}, "not a valid choice"),
    ]
    for fields, message in cases:
        response = carlos.post(edit_url(practice.aisha), details(practice.aisha, **{"phone": "+1 555 0100", **fields}))
        assert response.status_code == 422, fields
        page = response.get_data(as_text=True)
        assert message in page, fields
        assert "<title>Error: " in page
        db.session.refresh(practice.aisha)
        assert (practice.aisha.email, practice.aisha.phone) == ("aisha@example.com", None), fields
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "client.updated")) == 0


def test_it_resends_a_refused_invite_to_the_corrected_address_in_one_step(smtp_server, practice, app, as_user):
    dev = make_client(practice.workspace, "Dev", "Patel", "refused-dev@example.net", care_team=[practice.carlos])
    send_portal_invite(dev, practice.carlos)
    db.session.commit()
    run_jobs(app)
    assert portal_status(dev).state == "not_delivered"
    carlos = as_user(practice.carlos)
    page = carlos.get(edit_url(dev)).get_data(as_text=True)
    assert "Save and re-send the invite" in page and "User unknown" in page
    response = carlos.post(edit_url(dev), details(dev, email="dev@example.net", resend="1"))
    assert response.status_code == 303
    assert "Portal invite on its way to dev@example.net." in carlos.get(response.headers["Location"]).get_data(
        as_text=True)
    run_jobs(app)
    [invite_mail] = smtp_server.to("dev@example.net")
    assert "/invite/" in invite_mail.get_body(("plain",)).get_content()
    assert portal_status(dev).state == "invited"
    assert db.session.scalar(select(func.count(PortalInvite.id)).where(PortalInvite.revoked_at.is_not(None))) == 1


def test_it_offers_the_one_step_resend_only_for_a_refused_invite(practice, as_user):
    carlos = as_user(practice.carlos)
    assert "Save and re-send the invite" not in carlos.get(edit_url(practice.aisha)).get_data(as_text=True)
    carlos.post(edit_url(practice.aisha), details(practice.aisha, resend="1"))
    assert db.session.scalar(select(func.count(PortalInvite.id))) == 0


def test_it_moves_an_active_login_to_the_new_address_and_tells_both(smtp_server, practice, app, as_user):
    make_portal_account(practice.aisha)
    carlos = as_user(practice.carlos)
    response = carlos.post(edit_url(practice.aisha), details(practice.aisha, email="Aisha.R@example.org"))
    page = carlos.get(response.headers["Location"]).get_data(as_text=True)
    assert "They now log in with aisha.r@example.org; both addresses get an e-mail saying so." in page
    run_jobs(app)
    for address in ("aisha@example.com", "aisha.r@example.org"):
        [mail] = smtp_server.to(address)
        body = mail.get_body(("plain",)).get_content()
        assert "changed the e-mail address you log in to your client portal with" in body
        for private in ("Aisha", "Rahman", "Carlos"):
            assert private not in body and private not in mail["Subject"]
    assert "From now on, log in with this address" in smtp_server.to("aisha.r@example.org")[0].get_body(
        ("plain",)).get_content()
    assert db.session.scalar(select(User.email).where(User.client_id == practice.aisha.id)) == "aisha.r@example.org"
    Visitor(app.test_client()).login("aisha.r@example.org", PASSWORD)
    run_sweeps()
    assert len(smtp_server.messages) == 2


def test_it_sends_an_address_change_notice_whose_job_was_lost_from_the_sweep(smtp_server, practice, app, as_user):
    make_portal_account(practice.aisha)
    as_user(practice.carlos).post(edit_url(practice.aisha), details(practice.aisha, email="aisha.r@example.org"))
    app.extensions["porch.queue"]._heap.clear()  # the jobs were lost (a dead worker, a Redis outage)
    run_sweeps()
    assert {m["To"] for m in smtp_server.messages} == {"aisha@example.com", "aisha.r@example.org"}
    run_jobs(app)
    assert len(smtp_server.messages) == 2
    assert db.session.scalar(select(func.count(AddressChangeNotice.id)).where(
        AddressChangeNotice.sent_at.is_not(None))) == 2


def test_it_refuses_a_login_address_another_account_uses(practice, as_user):
    make_portal_account(practice.aisha)
    response = as_user(practice.carlos).post(edit_url(practice.aisha),
                                             details(practice.aisha, email="priya@brunswick.example"))
    assert response.status_code == 422
    assert "Another Porch account already logs in with this address." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AddressChangeNotice.id))) == 0


def test_it_stops_an_open_invite_to_the_old_address(practice, as_user):
    send_portal_invite(practice.aisha, practice.carlos)
    db.session.commit()
    carlos = as_user(practice.carlos)
    response = carlos.post(edit_url(practice.aisha), details(practice.aisha, email="aisha.r@example.org"))
    page = carlos.get(response.headers["Location"]).get_data(as_text=True)
    assert "The invite sent to the old address no longer works" in page
    assert db.session.scalar(select(PortalInvite.revoked_at)) is not None
    assert portal_status(practice.aisha).state == "not_invited"


def test_it_leaves_the_record_for_the_list_when_a_practitioner_takes_themselves_off_the_care_team(practice,
                                                                                               as_user):
    carlos = as_user(practice.carlos)
    response = carlos.post(edit_url(practice.aisha), details(practice.aisha, care_team=[str(practice.priya.id)]))
    assert response.headers["Location"] == "/clients"
    assert "Aisha is no longer on your list." in carlos.get("/clients").get_data(as_text=True)


def test_it_hides_the_edit_form_of_clients_one_may_not_see(practice, outsider, as_user):
    assert as_user(practice.priya).get(edit_url(practice.aisha)).status_code == 404
    owner = as_user(practice.owner)
    assert owner.get(edit_url(outsider.client)).status_code == 404
    assert owner.post(edit_url(outsider.client), details(outsider.client, first_name="Changed")).status_code == 404
    db.session.refresh(outsider.client)
    assert outsider.client.first_name == "Olu"
