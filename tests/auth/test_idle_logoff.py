from datetime import timedelta
from urllib.parse import urlsplit

from app import clock
from tests.conftest import make_portal_account


def test_it_signs_a_client_out_after_30_idle_minutes_with_a_polite_page(practice, as_user):
    clock.freeze(clock.now())
    aisha = as_user(make_portal_account(practice.aisha))
    clock.advance(timedelta(minutes=29))
    assert aisha.get("/portal").status_code == 200
    clock.advance(timedelta(minutes=31))
    response = aisha.get("/portal/appointments")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    login = aisha.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out after 30 minutes without activity" in login
    clock.advance(timedelta(minutes=-60))  # the session stays ended even if the clock goes back
    assert aisha.get("/portal").status_code == 302


def test_it_answers_an_htmx_request_after_expiry_with_hx_redirect(practice, as_user):
    clock.freeze(clock.now())
    aisha = as_user(make_portal_account(practice.aisha))
    clock.advance(timedelta(minutes=31))
    response = aisha.get("/portal/cards/upcoming", htmx=True)
    assert response.status_code == 401
    assert urlsplit(response.headers["HX-Redirect"]).path == "/login"


def test_it_keeps_staff_signed_in_for_8_idle_hours(practice, as_user):
    clock.freeze(clock.now())
    carlos = as_user(practice.carlos)
    clock.advance(timedelta(hours=7, minutes=59))
    assert carlos.get("/clients").status_code == 200
    clock.advance(timedelta(hours=8, minutes=1))
    assert carlos.get("/clients").status_code == 302


def test_it_takes_the_idle_time_from_the_settings(practice, make_app, environment):
    environment.setenv("PORCH_CLIENT_IDLE_MINUTES", "5")
    app = make_app()
    assert app.config["PORCH_CLIENT_IDLE_MINUTES"] == 5
    assert app.config["PORCH_STAFF_IDLE_MINUTES"] == 480
