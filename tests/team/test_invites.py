"""Staff invites follow the portal-invite rules: random and hashed, single use (also under concurrency),
7 days on the injectable clock, a re-send kills the old link; the new colleague lands on their staff home."""

import re
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from app import clock
from app.audit.models import AuditEvent
from app.auth.models import User
from app.db import db
from app.team.invites import invite_staff
from app.team.models import StaffInvite
from jobs.team import send_staff_invite_email
from tests.conftest import Visitor, link_in, make_staff, make_workspace, post_at_once, run_jobs, wait_until

NEW_PASSWORD = "quiet-river-compass-17"


def staff_link(app, smtp_server, workspace, email="dana@brunswick.example", role="practitioner") -> str:
    invite_staff(workspace, None, email=email, name="Dana Lee", role=role)
    db.session.commit()
    run_jobs(app)
    return link_in(smtp_server.to(email)[-1]).replace("http://porch.test", "")


def logins(email="dana@brunswick.example") -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.email == email))


def test_it_invites_by_email_from_the_team_page_and_mails_no_health_data(smtp_server, practice, app, as_user):
    owner = as_user(practice.owner)
    response = owner.post("/settings/team/invite", {"name": "Dana Lee", "email": "Dana@Brunswick.example ",
                                                    "role": "admin", "request_key": str(uuid.uuid4())})
    assert response.status_code == 303
    assert "Invite on its way to dana@brunswick.example." in owner.get("/settings/team").get_data(as_text=True)
    run_jobs(app)
    [message] = smtp_server.to("dana@brunswick.example")
    assert message["Subject"] == "Join Brunswick Practice on its practice portal"
    text = message.get_body(("plain",)).get_content()
    assert "as an admin" in text and "/team/invite/" in text
    for secret in ("Aisha", "Rahman"):
        assert secret not in text
    page = owner.get("/settings/team").get_data(as_text=True)
    assert "Dana Lee" in page and ">Invited<" in page


def test_it_lets_the_colleague_choose_a_password_and_lands_them_on_their_staff_home(smtp_server, practice, app,
                                                                                   visitor):
    link = staff_link(app, smtp_server, practice.workspace)
    page = visitor.get(link).get_data(as_text=True)
    assert "Join Brunswick Practice" in page and "dana@brunswick.example" in page
    response = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/clients"
    home = visitor.get("/clients")
    assert home.status_code == 200 and "No clients yet." in home.get_data(as_text=True)
    colleague = db.session.scalar(select(User).where(User.email == "dana@brunswick.example"))
    assert (colleague.role, colleague.name, colleague.workspace_id) == ("practitioner", "Dana Lee",
                                                                        practice.workspace.id)
    assert Visitor(app.test_client()).post("/login", {"email": "dana@brunswick.example",
                                                      "password": NEW_PASSWORD}).status_code == 303


def test_it_stores_only_a_hash_of_the_token(smtp_server, practice, app):
    token = staff_link(app, smtp_server, practice.workspace).rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 random bits, URL-safe base64
    invite = db.session.scalar(select(StaffInvite))
    assert token not in invite.token_hash and len(invite.token_hash) == 64
    assert invite.sealed_token is None  # kept (encrypted) only until the e-mail has gone


def test_it_refuses_a_used_link(smtp_server, practice, app, visitor):
    link = staff_link(app, smtp_server, practice.workspace)
    visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    stranger = Visitor(app.test_client())
    assert stranger.get(link).status_code == 410
    response = stranger.post(link, {"password": "another-password-99", "confirm": "another-password-99"})
    assert response.status_code == 410 and "already been used" in response.get_data(as_text=True)
    assert logins() == 1


def test_it_refuses_an_expired_link_and_creates_nothing(smtp_server, practice, app, visitor):
    link = staff_link(app, smtp_server, practice.workspace)
    clock.freeze(clock.now() + timedelta(days=7, seconds=-5))
    assert visitor.get(link).status_code == 200
    clock.freeze(clock.now() + timedelta(seconds=10))
    response = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410
    assert "expired — ask Brunswick Practice to send a new one." in response.get_data(as_text=True)
    assert logins() == 0


def test_it_kills_the_old_link_when_the_invite_is_resent(smtp_server, practice, app, as_user, visitor):
    first = staff_link(app, smtp_server, practice.workspace)
    invite_id = db.session.scalar(select(StaffInvite.id))
    assert as_user(practice.owner).post(f"/settings/team/invites/{invite_id}/resend").status_code == 303
    run_jobs(app)
    second = link_in(smtp_server.to("dana@brunswick.example")[-1]).replace("http://porch.test", "")
    assert first != second
    assert visitor.get(first).status_code == 410
    assert visitor.get(second).status_code == 200


def test_it_kills_the_link_when_the_invite_is_cancelled(smtp_server, practice, app, as_user, visitor):
    link = staff_link(app, smtp_server, practice.workspace)
    invite_id = db.session.scalar(select(StaffInvite.id))
    assert as_user(practice.admin).post(f"/settings/team/invites/{invite_id}/cancel").status_code == 303
    assert visitor.get(link).status_code == 410
    assert "No open invites." in as_user(practice.owner).get("/settings/team").get_data(as_text=True)


def test_it_refuses_a_tampered_or_unknown_link(smtp_server, practice, app, visitor):
    link = staff_link(app, smtp_server, practice.workspace)
    for bad in (link[:-1] + ("A" if link[-1] != "A" else "B"), "/team/invite/nonsense"):
        assert visitor.get(bad).status_code == 404
    assert logins() == 0


def test_it_explains_bad_input_next_to_the_field_and_records_nothing(smtp_server, practice, app, as_user):
    owner = as_user(practice.owner)
    cases = [
        ({"name": "", "email": "dana@brunswick.example", "role": "admin"}, "Enter your colleague&#39;s name."),
        ({"name": "Dana", "email": "not-an-address", "role": "admin"}, "Enter a valid e-mail address"),
        ({"name": "Dana", "email": "carlos@brunswick.example", "role": "admin"}, "already has a login here"),
        ({"name": "Dana", "email": "dana@brunswick.example", "role": "boss"}, "Not a valid choice"),
    ]
    for form, message in cases:
        response = owner.post("/settings/team/invite", {**form, "request_key": "2b1f3c4d-0000-4000-8000-00000000000a"})
        assert response.status_code == 422, form
        body = response.get_data(as_text=True)
        assert message in body, form
        assert re.search(r'class="error" id="[a-z]+-error"', body)
    assert db.session.scalar(select(func.count(StaffInvite.id))) == 0


def test_it_shows_a_refusal_with_the_reason_and_a_deferral_as_retrying(smtp_server, practice, app, as_user):
    invite_staff(practice.workspace, practice.owner, email="refused-dana@brunswick.example", name="Dana", role="admin")
    invite_staff(practice.workspace, practice.owner, email="busy-eli@brunswick.example", name="Eli", role="admin")
    db.session.commit()
    run_jobs(app)
    page = as_user(practice.owner).get("/settings/team").get_data(as_text=True)
    assert "Invite not delivered" in page and "Recipient address rejected: User unknown" in page
    assert "retrying (next try at" in page and "451 4.2.1 Mailbox busy" in page


def test_it_sends_one_email_when_the_job_runs_twice(smtp_server, practice, app):
    invite = invite_staff(practice.workspace, None, email="dana@brunswick.example", name="Dana", role="admin")
    db.session.commit()
    send_staff_invite_email(invite.id)
    send_staff_invite_email(invite.id)
    assert len(smtp_server.to("dana@brunswick.example")) == 1


def test_it_audits_the_invite_and_the_joining(smtp_server, practice, app, as_user, visitor):
    link = staff_link(app, smtp_server, practice.workspace, role="admin")
    visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id)).all()
    assert [tuple(r) for r in rows if r.action.startswith("staff")] == [
        ("staff.invited", "admin"), ("staff_invite.sent", "admin"), ("staff.joined", "admin")]


def test_it_lets_exactly_one_of_eight_posts_of_one_link_at_once_make_the_login(live_server, smtp_server):
    with live_server.app.app_context():
        invite_staff(make_workspace(), None, email="dana@brunswick.example", name="Dana Lee", role="practitioner")
        db.session.commit()
    mail = wait_until(lambda: smtp_server.to("dana@brunswick.example"), "the invite e-mail")
    link = link_in(mail[0]).removeprefix(live_server.url)

    results = post_at_once(live_server.url, link, [{"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}] * 8)

    assert [path for _, path in results].count("/clients") == 1
    refusals = [status for status, path in results if path != "/clients"]
    assert set(refusals) <= {409, 410, 429} and len(refusals) == 7
    with live_server.app.app_context():
        assert logins() == 1
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "staff.joined")) == 1


def test_it_does_not_let_an_admin_resend_an_owners_invite(smtp_server, practice, app, as_user):
    invite = invite_staff(practice.workspace, practice.owner, email="dana@brunswick.example", name="Dana",
                          role="owner")
    db.session.commit()
    assert as_user(practice.admin).post(f"/settings/team/invites/{invite.id}/resend").status_code == 403
    assert as_user(practice.owner).post(f"/settings/team/invites/{invite.id}/resend").status_code == 303
    other = make_staff(make_workspace("Elsewhere Clinic"), "boss@elsewhere.example", "owner")
    assert as_user(other).post(f"/settings/team/invites/{invite.id}/resend").status_code == 404
