import re
from urllib.parse import urlsplit

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import EmailChange, User, UserSession
from app.db import db
from tests.conftest import PASSWORD, Visitor, make_portal_account, run_jobs

NEW_PASSWORD = "lantern-orchard-ferry-42"
BROWSERS = {
    "firefox": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "safari": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.5 Mobile/15E148 Safari/604.1",
}


def actions(user: User) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_user_id == user.id)))


def signed_in_from(app, user: User, browser: str) -> Visitor:
    visitor = Visitor(app.test_client())
    visitor.client.environ_base["HTTP_USER_AGENT"] = BROWSERS[browser]
    visitor.login(user.email)
    return visitor


def is_signed_in(visitor: Visitor, home: str = "/portal") -> bool:
    return visitor.get(home).status_code == 200


def test_it_links_change_your_password_to_the_account_page_not_the_forgotten_password_form(practice, as_user):
    page = as_user(make_portal_account(practice.aisha)).get("/portal/account").get_data(as_text=True)
    assert 'action="/account/password"' in page
    assert "Change your password</a> by e-mail" not in page


def test_it_changes_the_password_and_signs_out_the_other_devices_only(practice, app):
    aisha = make_portal_account(practice.aisha)
    here, there = signed_in_from(app, aisha, "firefox"), signed_in_from(app, aisha, "safari")
    response = here.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert is_signed_in(here) and not is_signed_in(there)
    assert "password.changed" in actions(aisha)
    Visitor(app.test_client()).login(aisha.email, NEW_PASSWORD)


def test_it_refuses_a_password_change_without_the_current_password_or_with_a_weak_one(practice, as_user):
    aisha = make_portal_account(practice.aisha)
    visitor, before = as_user(aisha), aisha.password_hash
    wrong = visitor.post("/account/password", {"current_password": "guess-guess-guess", "new_password": NEW_PASSWORD,
                                               "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and "That isn&#39;t your current password." in wrong.get_data(as_text=True)
    weak = visitor.post("/account/password", {"current_password": PASSWORD, "new_password": "short",
                                              "confirm": "short"})
    assert weak.status_code == 422 and "Use at least 12 characters." in weak.get_data(as_text=True)
    db.session.refresh(aisha)
    assert aisha.password_hash == before


def test_it_lists_devices_with_browser_and_system_and_signs_one_out(practice, app):
    aisha = make_portal_account(practice.aisha)
    here, there = signed_in_from(app, aisha, "firefox"), signed_in_from(app, aisha, "safari")
    page = here.get("/portal/account").get_data(as_text=True)
    assert "Firefox 133 on Windows 10" in page and "Mobile Safari 17 on iOS 17" in page
    assert page.count("This device") == 1
    safari = db.session.scalar(select(UserSession).where(UserSession.user_agent == BROWSERS["safari"]))
    assert here.post(f"/account/devices/{safari.id}/sign-out").status_code == 303
    assert is_signed_in(here) and not is_signed_in(there)
    assert "device.signed_out" in actions(aisha)


def test_it_signs_out_all_other_devices(practice, app):
    carlos = practice.carlos
    here, there = signed_in_from(app, carlos, "firefox"), signed_in_from(app, carlos, "safari")
    assert here.post("/account/devices/sign-out-others").status_code == 303
    assert is_signed_in(here, "/account") and not is_signed_in(there, "/account")


def test_it_does_not_sign_out_another_persons_device(practice, app, as_user):
    aisha = make_portal_account(practice.aisha)
    carlos = signed_in_from(app, practice.carlos, "firefox")
    his = db.session.scalar(select(UserSession).where(UserSession.user_id == practice.carlos.id))
    assert as_user(aisha).post(f"/account/devices/{his.id}/sign-out").status_code == 404
    assert is_signed_in(carlos, "/clients")


def test_it_saves_a_profile_with_preferred_name_phone_and_time_zone(practice, as_user):
    aisha = make_portal_account(practice.aisha)
    visitor = as_user(aisha)
    response = visitor.post("/account/profile", {"preferred_name": "Ash", "phone": "+44 20 7946 0000",
                                                 "time_zone": "Europe/London"})
    assert response.status_code == 303
    db.session.refresh(practice.aisha)
    assert practice.aisha.phone == "+44 20 7946 0000" and practice.aisha.time_zone == "Europe/London"
    assert "Welcome, Ash</h1>" in visitor.get("/portal").get_data(as_text=True)
    assert "profile.changed" in actions(aisha)


def test_it_refuses_a_bad_phone_next_to_the_field_and_saves_nothing(practice, as_user):
    visitor = as_user(practice.carlos)
    response = visitor.post("/account/profile", {"preferred_name": "C", "phone": "<script>", "time_zone": "UTC"})
    assert response.status_code == 422
    assert "Use digits, spaces and + ( ) - only." in response.get_data(as_text=True)
    db.session.refresh(practice.carlos)
    assert practice.carlos.preferred_name is None


def test_it_changes_the_sign_in_address_only_from_the_link_and_tells_the_old_one(smtp_server, practice, app,
                                                                                   as_user):
    aisha = make_portal_account(practice.aisha)
    visitor = as_user(aisha)
    response = visitor.post("/account/email", {"new_email": "Aisha.New@example.org", "email_password": PASSWORD})
    assert response.status_code == 303
    run_jobs(app)
    [mail] = smtp_server.to("aisha.new@example.org")
    link = re.search(r"http://porch.test(/account/email/confirm/\S+)", mail.get_body(("plain",)).get_content()).group(1)
    db.session.refresh(aisha)
    assert aisha.email == "aisha@example.com"
    assert visitor.get(link).status_code == 200  # a page with a button: a mail scanner's GET changes nothing
    assert visitor.post(link).status_code == 303
    db.session.refresh(aisha)
    assert aisha.email == "aisha.new@example.org" and aisha.client.email == "aisha.new@example.org"
    run_jobs(app)
    [notice] = smtp_server.to("aisha@example.com")
    assert "Rahman" not in notice.get_body(("plain",)).get_content()
    assert visitor.post(link).status_code == 410
    assert {"email.change_asked", "email.changed"} <= set(actions(aisha))
    assert db.session.scalar(select(EmailChange)).used_at is not None


def test_it_refuses_an_address_change_without_the_password(practice, as_user):
    visitor = as_user(make_portal_account(practice.aisha))
    response = visitor.post("/account/email", {"new_email": "new@example.org", "email_password": "nope-nope-nope"})
    assert response.status_code == 422
    assert db.session.scalars(select(EmailChange)).all() == []


def test_it_has_a_staff_account_page_reachable_from_the_staff_layout(practice, as_user):
    visitor = as_user(practice.carlos)
    assert 'href="/account"' in visitor.get("/clients").get_data(as_text=True)
    page = visitor.get("/account")
    assert page.status_code == 200
    assert "Two-step sign-in" in page.get_data(as_text=True)
    assert urlsplit(as_user(make_portal_account(practice.aisha)).get("/account").headers["Location"]).path \
        == "/portal/account"
