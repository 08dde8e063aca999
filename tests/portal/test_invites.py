import re
from datetime import timedelta

from sqlalchemy import func, select

from app import clock
from app.audit.models import AuditEvent
from app.auth.models import User
from app.clients.invites import send_portal_invite
from app.db import db
from tests.conftest import Visitor, link_in, make_client, make_workspace, post_at_once, run_jobs, wait_until

NEW_PASSWORD = "blue-kettle-morning-42"


def invite_link(app, smtp_server, client) -> str:
    send_portal_invite(client, sent_by=None)
    db.session.commit()
    run_jobs(app)
    return link_in(smtp_server.to(client.email)[-1]).replace("http://porch.test", "")


def accounts() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.client_id.is_not(None)))


def test_it_lets_the_client_choose_a_password_and_lands_them_in_the_portal(smtp_server, practice, app, visitor):
    link = invite_link(app, smtp_server, practice.aisha)
    page = visitor.get(link).get_data(as_text=True)
    assert "Welcome to Brunswick Practice" in page
    assert "aisha@example.com" in page
    response = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal"
    home = visitor.get("/portal").get_data(as_text=True)
    assert "Welcome, Aisha" in home
    for card in ("Upcoming", "Forms", "Messages", "Invoices"):
        assert re.search(rf"<h2 [^>]*>(<a [^>]*>)?{card}(</a>)?</h2>", home), card
    assert "Nothing booked" in home


def test_it_lets_the_new_client_log_in_directly_afterwards(smtp_server, practice, app, visitor):
    link = invite_link(app, smtp_server, practice.aisha)
    visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    visitor.post("/logout")
    fresh = Visitor(app.test_client())
    response = fresh.post("/portal/login", {"email": "aisha@example.com", "password": NEW_PASSWORD})
    assert response.headers["Location"] == "/portal"


def test_it_audits_the_invite_sent_and_accepted(smtp_server, practice, app, visitor):
    link = invite_link(app, smtp_server, practice.aisha)
    visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.client_id == practice.aisha.id)
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["portal_invite.sent", "portal_invite.accepted"]


def test_it_refuses_a_used_link(smtp_server, practice, app, visitor):
    link = invite_link(app, smtp_server, practice.aisha)
    visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    stranger = Visitor(app.test_client())
    response = stranger.get(link)
    assert response.status_code == 410
    assert "already been used" in response.get_data(as_text=True)
    response = stranger.post(link, {"password": "another-password-99", "confirm": "another-password-99"})
    assert response.status_code == 410
    assert accounts() == 1


def test_it_sends_a_signed_in_client_who_resubmits_to_their_portal(smtp_server, practice, app, visitor):
    link = invite_link(app, smtp_server, practice.aisha)
    visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert again.headers["Location"] == "/portal"
    assert accounts() == 1


def test_it_refuses_an_expired_link_and_creates_nothing(smtp_server, practice, app, visitor):
    link = invite_link(app, smtp_server, practice.aisha)
    clock.freeze(clock.now() + timedelta(days=7, seconds=1))
    response = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410
    assert "This invite link has expired — ask Brunswick Practice to send a new one." in \
        response.get_data(as_text=True)
    assert accounts() == 0


def test_it_still_accepts_a_link_just_before_it_expires(smtp_server, practice, app, visitor):
    link = invite_link(app, smtp_server, practice.aisha)
    clock.freeze(clock.now() + timedelta(days=7, seconds=-5))
    assert visitor.get(link).status_code == 200


def test_it_refuses_a_tampered_or_unknown_link(smtp_server, practice, app, visitor):
    link = invite_link(app, smtp_server, practice.aisha)
    for bad in (link[:-1] + ("A" if link[-1] != "A" else "B"), "/invite/nonsense"):
        response = visitor.get(bad)
        assert response.status_code == 404
        assert "isn&#39;t valid" in response.get_data(as_text=True)
    assert accounts() == 0


def test_it_kills_the_old_link_when_the_invite_is_resent(smtp_server, practice, app, visitor):
    first = invite_link(app, smtp_server, practice.aisha)
    second = invite_link(app, smtp_server, practice.aisha)
    assert first != second
    assert visitor.get(first).status_code == 410
    assert visitor.get(second).status_code == 200


def test_it_refuses_the_link_once_portal_access_is_disabled(smtp_server, practice, app, visitor):
    from app.clients.invites import disable_portal

    link = invite_link(app, smtp_server, practice.aisha)
    disable_portal(practice.aisha)
    db.session.commit()
    assert visitor.get(link).status_code == 410


def test_it_explains_each_bad_password_and_creates_nothing(smtp_server, practice, app, visitor):
    link = invite_link(app, smtp_server, practice.aisha)
    cases = [
        ({"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}, "The two passwords don&#39;t match."),
        ({"password": "short-pw", "confirm": "short-pw"}, "Use at least 12 characters."),
        ({"password": "password1234", "confirm": "password1234"}, "This password is too common."),
        ({"password": "aisha-secret-99", "confirm": "aisha-secret-99"}, "Don&#39;t use your e-mail address"),
        ({"password": "", "confirm": ""}, "Choose a password."),
        ({"password": "x" * 300, "confirm": "x" * 300}, "Use at most 256 characters."),
    ]
    for form, message in cases:
        response = visitor.post(link, form)
        assert response.status_code == 422, form
        assert message in response.get_data(as_text=True), form
    assert accounts() == 0


def test_it_stores_only_a_hash_of_the_token(smtp_server, practice, app):
    from app.clients.models import PortalInvite

    link = invite_link(app, smtp_server, practice.aisha)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 random bits, URL-safe base64
    stored = db.session.scalar(select(PortalInvite.token_hash))
    assert token not in stored and len(stored) == 64


def test_it_rate_limits_invite_acceptance(smtp_server, practice, app, visitor):
    link = invite_link(app, smtp_server, practice.aisha)
    statuses = [visitor.post(link, {"password": "a", "confirm": "b"}).status_code for _ in range(11)]
    assert statuses[-1] == 429


def test_it_lets_exactly_one_of_eight_posts_of_one_link_at_once_make_the_account(live_server, smtp_server):
    with live_server.app.app_context():
        workspace = make_workspace()
        send_portal_invite(make_client(workspace), sent_by=None)
        db.session.commit()
    mail = wait_until(lambda: smtp_server.to("aisha@example.com"), "the invite e-mail")
    link = link_in(mail[0]).removeprefix(live_server.url)

    results = post_at_once(live_server.url, link, [{"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}] * 8)

    assert [path for _, path in results].count("/portal") == 1
    refusals = [status for status, path in results if path != "/portal"]
    assert set(refusals) <= {409, 410, 429} and len(refusals) == 7  # 429: the per-address limit on this form
    with live_server.app.app_context():
        assert accounts() == 1
        accepted = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "portal_invite.accepted")).all()
        assert len(accepted) == 1
