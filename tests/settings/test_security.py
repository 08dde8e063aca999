from urllib.parse import urlsplit

from tests.auth.mfa_steps import code_now, sign_in_with_password, turn_on_mfa
from tests.conftest import Visitor, make_portal_account


def require_mfa(practice, as_user) -> None:
    owner = as_user(practice.owner)
    assert owner.post("/settings/security", {"require_staff_mfa": "y"}).status_code == 303


def test_it_lets_only_owners_require_mfa(practice, as_user):
    assert as_user(practice.admin).get("/settings/security").status_code == 403
    assert as_user(practice.carlos).post("/settings/security", {"require_staff_mfa": "y"}).status_code == 403
    assert as_user(practice.owner).get("/settings/security").status_code == 200


def test_it_sends_staff_without_mfa_to_set_it_up_before_any_other_page(practice, as_user, app):
    require_mfa(practice, as_user)
    carlos = Visitor(app.test_client())
    carlos.login(practice.carlos.email)
    for path in ("/clients", "/inbox", "/account"):
        response = carlos.get(path)
        assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/account/mfa/setup"
    htmx = carlos.get("/clients", htmx=True)
    assert urlsplit(htmx.headers["HX-Redirect"]).path == "/account/mfa/setup"
    setup = carlos.get("/account/mfa/setup").get_data(as_text=True)
    assert "asks every staff member to sign in in two steps" in setup
    turn_on_mfa(carlos, practice.carlos)
    assert carlos.get("/clients").status_code == 200


def test_it_does_not_ask_clients_to_set_up_mfa(practice, as_user):
    require_mfa(practice, as_user)
    assert as_user(make_portal_account(practice.aisha)).get("/portal").status_code == 200


def test_it_keeps_mfa_on_for_staff_while_the_practice_requires_it(practice, as_user, app):
    carlos = as_user(practice.carlos)
    turn_on_mfa(carlos, practice.carlos)
    require_mfa(practice, as_user)
    again = Visitor(app.test_client())
    sign_in_with_password(again, practice.carlos.email)
    assert again.post("/login/code", {"code": code_now(practice.carlos)}).status_code == 303
    assert "so it stays on" in again.get("/account").get_data(as_text=True)
    assert again.post("/account/mfa/off", {"off_password": "x", "off_code": "1"}).status_code == 403
