import uuid

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.clients.models import Client, PortalInvite
from app.db import db
from tests.conftest import make_client, run_jobs


def client_form(**fields) -> dict:
    form = {"first_name": "Noor", "last_name": "Haddad", "email": "noor@example.com", "phone": "+1 555 0100",
            "date_of_birth": "1990-05-17", "time_zone": "Europe/London", "request_key": str(uuid.uuid4())}
    form.update(fields)
    return form


def client_count() -> int:
    return db.session.scalar(select(func.count(Client.id)))


def test_it_lists_every_client_for_the_owner(practice, as_user):
    make_client(practice.workspace, "Ben", "Okafor", "ben@example.com")
    page = as_user(practice.owner).get("/clients").get_data(as_text=True)
    assert "Aisha Rahman" in page
    assert "Ben Okafor" in page


def test_it_lists_only_the_roster_for_a_practitioner(practice, as_user):
    make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.priya])
    page = as_user(practice.carlos).get("/clients").get_data(as_text=True)
    assert "Aisha Rahman" in page
    assert "Ben Okafor" not in page


def test_it_never_lists_another_workspaces_clients(practice, outsider, as_user):
    page = as_user(practice.owner).get("/clients").get_data(as_text=True)
    assert "Olu Other" not in page


def test_it_searches_by_name_and_email(practice, as_user):
    make_client(practice.workspace, "Ben", "Okafor", "ben@example.com")
    owner = as_user(practice.owner)
    assert "Ben Okafor" not in owner.get("/clients?q=aisha").get_data(as_text=True)
    assert "Aisha Rahman" in owner.get("/clients?q=Rahman").get_data(as_text=True)
    assert "Ben Okafor" in owner.get("/clients?q=ben@").get_data(as_text=True)
    assert "No client matches" in owner.get("/clients?q=100%25_").get_data(as_text=True)


def test_it_answers_an_htmx_search_with_the_rows_alone(practice, as_user):
    response = as_user(practice.owner).get("/clients?q=aisha", htmx=True)
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<tbody id="client-rows">')
    assert "<html" not in page
    assert "HX-Request" in response.headers["Vary"]


def test_it_adds_a_client_with_their_care_team(practice, as_user):
    carlos = as_user(practice.carlos)
    form = client_form(care_team=[str(practice.carlos.id), str(practice.priya.id)])
    response = carlos.post("/clients/new", form)
    assert response.status_code == 303
    noor = db.session.scalar(select(Client).where(Client.email == "noor@example.com"))
    assert response.headers["Location"] == f"/clients/{noor.id}"
    assert {u.name for u in noor.care_team} == {"Carlos Diaz", "Priya Shah"}
    assert noor.time_zone == "Europe/London"
    assert str(noor.date_of_birth) == "1990-05-17"
    page = carlos.get(response.headers["Location"]).get_data(as_text=True)
    assert "Noor Haddad was added." in page
    assert "Not invited" in page


def test_it_makes_one_client_from_a_double_submit(practice, as_user):
    carlos = as_user(practice.carlos)
    form = client_form(care_team=[str(practice.carlos.id)])
    first = carlos.post("/clients/new", form)
    second = carlos.post("/clients/new", form)
    assert first.headers["Location"] == second.headers["Location"]
    assert client_count() == 2  # Aisha and Noor


def test_it_shows_each_bad_field_next_to_it_and_writes_nothing(practice, as_user):
    carlos = as_user(practice.carlos)
    cases = [
        ({"first_name": ""}, "Enter the client&#39;s first name."),
        ({"last_name": "x" * 61}, "Use at most 60 characters."),
        ({"email": "not-an-address"}, "Enter a valid e-mail address"),
        ({"email": "AISHA@example.com"}, "Another client already uses this e-mail address."),
        ({"phone": "call me maybe"}, "Use digits, spaces and + ( ) - only."),
        ({"date_of_birth": "2999-01-01"}, "Enter a date of birth in the past."),
        ({"date_of_birth": "31/31/1990"}, "Not a valid date value."),
        ({"time_zone": "Mars/Olympus"}, "Not a valid choice."),
        ({"care_team": ["999999"]}, "not a valid choice"),
    ]
    for fields, message in cases:
        response = carlos.post("/clients/new", client_form(**fields))
        assert response.status_code == 422, fields
        assert message in response.get_data(as_text=True), fields
    assert client_count() == 1


def test_it_hides_a_client_from_a_practitioner_not_on_their_care_team(practice, as_user):
    assert as_user(practice.priya).get(f"/clients/{practice.aisha.id}").status_code == 404


def test_it_answers_404_for_another_workspaces_client(practice, outsider, as_user):
    owner = as_user(practice.owner)
    assert owner.get(f"/clients/{outsider.client.id}").status_code == 404
    for action in ("invite", "portal/disable", "portal/enable"):
        assert owner.post(f"/clients/{outsider.client.id}/{action}").status_code == 404


def test_it_keeps_clients_out_of_staff_pages(practice, as_user):
    from tests.conftest import make_portal_account

    make_portal_account(practice.aisha)
    aisha = as_user(practice.aisha.account)
    assert aisha.get("/clients").status_code == 404
    assert aisha.get(f"/clients/{practice.aisha.id}").status_code == 404


def test_it_audits_viewing_a_record(practice, as_user):
    as_user(practice.carlos).get(f"/clients/{practice.aisha.id}")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "client.viewed"))
    assert event.client_id == practice.aisha.id
    assert event.actor_user_id == practice.carlos.id
    assert event.ip_address == "127.0.0.1"


def test_it_sends_a_portal_invite_from_the_record(practice, as_user):
    carlos = as_user(practice.carlos)
    response = carlos.post(f"/clients/{practice.aisha.id}/invite", {"request_key": str(uuid.uuid4())})
    assert response.status_code == 303
    page = carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert "Portal invite on its way to aisha@example.com." in page
    assert "Sending invite" in page
    run_jobs(practice_app())
    page = carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert "Invited" in page and "the link expires" in page
    assert "Re-send invite" in page


def test_it_answers_an_htmx_invite_with_the_portal_panel(practice, as_user):
    response = as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/invite",
                                             {"request_key": str(uuid.uuid4())}, htmx=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith('<section class="panel" id="portal"')
    assert "Sending invite" in page


def test_it_makes_one_invite_from_a_double_submit(practice, as_user):
    carlos = as_user(practice.carlos)
    key = str(uuid.uuid4())
    carlos.post(f"/clients/{practice.aisha.id}/invite", {"request_key": key})
    carlos.post(f"/clients/{practice.aisha.id}/invite", {"request_key": key})
    assert db.session.scalar(select(func.count(PortalInvite.id))) == 1


def test_it_cannot_invite_a_client_without_an_email_address(practice, as_user):
    farid = make_client(practice.workspace, "Farid", "Haddad", None, care_team=[practice.carlos])
    response = as_user(practice.carlos).post(f"/clients/{farid.id}/invite", {"request_key": str(uuid.uuid4())})
    assert response.status_code == 422
    assert "Add an e-mail address to this client before inviting them." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PortalInvite.id))) == 0


def test_it_refuses_an_invite_post_without_csrf_token(practice, as_user):
    response = as_user(practice.carlos).post(f"/clients/{practice.aisha.id}/invite",
                                             {"request_key": str(uuid.uuid4())}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(PortalInvite.id))) == 0


def test_it_accepts_the_csrf_token_as_an_htmx_header(practice, as_user):
    carlos = as_user(practice.carlos)
    token = carlos.csrf_token()
    response = carlos.client.post(f"/clients/{practice.aisha.id}/invite", data={"request_key": str(uuid.uuid4())},
                                  headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200


def test_it_disables_and_reenables_portal_access(practice, as_user):
    carlos = as_user(practice.carlos)
    carlos.post(f"/clients/{practice.aisha.id}/invite", {"request_key": str(uuid.uuid4())})
    carlos.post(f"/clients/{practice.aisha.id}/portal/disable")
    page = carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert "Disabled" in page and "Turn portal access back on" in page
    assert db.session.scalar(select(PortalInvite.revoked_at)) is not None
    carlos.post(f"/clients/{practice.aisha.id}/portal/enable")
    assert "Not invited" in carlos.get(f"/clients/{practice.aisha.id}").get_data(as_text=True)


def test_it_shows_the_plain_portal_link_to_copy(practice, as_user):
    page = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert 'value="http://porch.test/portal"' in page


def practice_app():
    from flask import current_app

    return current_app


def test_it_serves_the_portal_panel_that_polls_while_sending(practice, as_user):
    carlos = as_user(practice.carlos)
    carlos.post(f"/clients/{practice.aisha.id}/invite", {"request_key": str(uuid.uuid4())})
    panel = carlos.get(f"/clients/{practice.aisha.id}/portal", htmx=True).get_data(as_text=True)
    assert 'hx-trigger="every 3s"' in panel
    run_jobs(practice_app())
    panel = carlos.get(f"/clients/{practice.aisha.id}/portal", htmx=True).get_data(as_text=True)
    assert "Invited" in panel and "every 3s" not in panel
    assert carlos.get(f"/clients/{practice.aisha.id}/portal").get_data(as_text=True).startswith("<!doctype html>")


def test_it_replaces_the_added_flash_when_the_invite_goes_by_htmx(practice, as_user):
    carlos = as_user(practice.carlos)
    response = carlos.post("/clients/new", client_form(first_name="Nora", last_name="Lindqvist",
                                                       email="nora@example.com", care_team=[str(practice.carlos.id)]))
    record = response.headers["Location"]
    assert "Nora Lindqvist was added." in carlos.get(record).get_data(as_text=True)
    panel = carlos.post(record + "/invite", {"request_key": str(uuid.uuid4())}, htmx=True).get_data(as_text=True)
    assert "Portal invite on its way to nora@example.com." in panel
    assert '<div id="flashes" hx-swap-oob="true"></div>' in panel


def test_it_offers_to_disable_portal_access_only_where_there_is_access_to_disable(practice, as_user):
    carlos = as_user(practice.carlos)
    record = f"/clients/{practice.aisha.id}"
    assert "Disable portal access" not in carlos.get(record).get_data(as_text=True)
    response = carlos.post(record + "/portal/disable")
    assert response.status_code == 422
    assert practice.aisha.portal_disabled_at is None
    carlos.post(record + "/invite", {"request_key": str(uuid.uuid4())})
    assert "Disable portal access" in carlos.get(record).get_data(as_text=True)


def test_it_offers_no_deactivated_colleague_for_a_care_team(practice, as_user):
    from app.team.service import deactivate

    deactivate(practice.priya)
    db.session.commit()
    owner, before = as_user(practice.owner), client_count()
    assert "Priya Shah" not in owner.get("/clients/new").get_data(as_text=True)
    response = owner.post("/clients/new", client_form(care_team=[str(practice.priya.id)]))
    assert response.status_code == 422 and client_count() == before
