from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.auth.models import UserSession
from app.db import db
from tests.conftest import PASSWORD, Visitor, link_in, make_portal_account, run_jobs

NEW_PASSWORD = "green-ladder-evening-77"


def reset_link(app, visitor, smtp_server, email: str) -> str:
    response = visitor.post("/password/forgot", {"email": email})
    assert response.headers["Location"] == "/password/forgot/sent"
    run_jobs(app)
    return link_in(smtp_server.to(email)[-1]).replace("http://porch.test", "")


def test_it_mails_a_reset_link_and_sets_the_new_password(smtp_server, practice, app, visitor):
    link = reset_link(app, visitor, smtp_server, "carlos@brunswick.example")
    assert "Choose a new password" in visitor.get(link).get_data(as_text=True)
    response = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/clients"
    fresh = Visitor(app.test_client())
    assert fresh.post("/login", {"email": "carlos@brunswick.example", "password": PASSWORD}).status_code == 422
    assert fresh.post("/login", {"email": "carlos@brunswick.example", "password": NEW_PASSWORD}).status_code == 303


def test_it_works_for_clients_too(smtp_server, practice, app, visitor):
    make_portal_account(practice.aisha)
    link = reset_link(app, visitor, smtp_server, "aisha@example.com")
    response = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/portal"


def test_it_says_the_same_for_an_unknown_address_and_sends_nothing(smtp_server, practice, app, visitor):
    response = visitor.post("/password/forgot", {"email": "nobody@example.com"})
    assert response.headers["Location"] == "/password/forgot/sent"
    run_jobs(app)
    assert smtp_server.messages == []
    page = visitor.get("/password/forgot/sent").get_data(as_text=True)
    assert "If an account uses that address" in page


def test_it_signs_out_every_other_device(smtp_server, practice, app, visitor, as_user):
    elsewhere = as_user(practice.carlos)
    link = reset_link(app, visitor, smtp_server, "carlos@brunswick.example")
    visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert elsewhere.get("/clients").status_code == 302
    live = db.session.scalars(select(UserSession).where(UserSession.ended_at.is_(None))).all()
    assert len(live) == 1


def test_it_refuses_a_used_link(smtp_server, practice, app, visitor):
    link = reset_link(app, visitor, smtp_server, "carlos@brunswick.example")
    visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    response = Visitor(app.test_client()).get(link)
    assert response.status_code == 410
    assert "already been used" in response.get_data(as_text=True)


def test_it_refuses_an_expired_link(smtp_server, practice, app, visitor):
    link = reset_link(app, visitor, smtp_server, "carlos@brunswick.example")
    clock.freeze(clock.now() + timedelta(hours=1, seconds=1))
    response = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410
    assert "has expired" in response.get_data(as_text=True)


def test_it_refuses_an_unknown_link(practice, visitor):
    assert visitor.get("/password/reset/not-a-real-token").status_code == 404


def test_it_explains_a_mismatched_password(smtp_server, practice, app, visitor):
    link = reset_link(app, visitor, smtp_server, "carlos@brunswick.example")
    response = visitor.post(link, {"password": NEW_PASSWORD, "confirm": "something-else-entirely"})
    assert response.status_code == 422
    assert "The two passwords don&#39;t match." in response.get_data(as_text=True)


def test_it_asks_for_a_valid_address(practice, visitor):
    response = visitor.post("/password/forgot", {"email": "not an address"})
    assert response.status_code == 422
    assert "Enter a valid e-mail address." in response.get_data(as_text=True)


def test_it_guides_people_who_forgot_which_address_they_used(visitor):
    page = visitor.get("/login/help").get_data(as_text=True)
    assert "Which e-mail address did I use?" in page
    assert "address your practice sent your portal invite to" in page
