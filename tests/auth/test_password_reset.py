from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.audit.models import AuditEvent
from app.auth.models import UserSession
from app.db import db
from tests.conftest import (
    PASSWORD,
    HttpVisitor,
    Visitor,
    counting_queries,
    link_in,
    make_portal_account,
    make_staff,
    make_workspace,
    post_at_once,
    run_jobs,
    wait_until,
)

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


def test_it_revokes_the_older_link_when_a_new_one_is_sent(smtp_server, practice, app, visitor):
    older = reset_link(app, visitor, smtp_server, "carlos@brunswick.example")
    visitor.post("/password/forgot", {"email": "Carlos@Brunswick.example "})
    run_jobs(app)
    newer = link_in(smtp_server.to("carlos@brunswick.example")[-1]).replace("http://porch.test", "")
    response = visitor.post(older, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410
    assert "A newer reset link was sent" in response.get_data(as_text=True)
    assert visitor.post(newer, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303


def test_it_lets_exactly_one_of_eight_posts_of_one_link_at_once_set_the_password(live_server, smtp_server):
    with live_server.app.app_context():
        make_staff(make_workspace(), "carlos@brunswick.example")
    HttpVisitor(live_server.url).post("/password/forgot", {"email": "carlos@brunswick.example"})
    mail = wait_until(lambda: smtp_server.to("carlos@brunswick.example"), "the reset e-mail")
    link = link_in(mail[0]).removeprefix(live_server.url)
    passwords = [f"{NEW_PASSWORD}-{n}" for n in range(8)]

    results = post_at_once(live_server.url, link, [{"password": p, "confirm": p} for p in passwords])

    assert [path for _, path in results].count("/clients") == 1
    refusals = [status for status, path in results if path != "/clients"]
    assert set(refusals) <= {410, 429} and refusals.count(410) >= 4  # 429: the per-address limit on this form
    with live_server.app.app_context():
        resets = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "password.reset")).all()
        assert len(resets) == 1
    winner = passwords[[r[1] for r in results].index("/clients")]
    fresh = HttpVisitor(live_server.url)
    assert fresh.post("/login", {"email": "carlos@brunswick.example", "password": winner})[2].endswith("/clients")


def what_asking_for_a_reset_shows(app, email: str, address: str) -> dict:
    """What a caller could tell apart: the answer (bar the clock in headers), the statements run, the jobs queued."""
    visitor = Visitor(app.test_client())
    queue = app.extensions["porch.queue"]
    queue.run_due()
    with counting_queries() as statements:
        response = visitor.post("/password/forgot", {"email": email}, environ_base={"REMOTE_ADDR": address})
    headers = sorted((name, value) for name, value in response.headers.items()
                     if name not in ("Date", "Set-Cookie", "X-RateLimit-Reset", "Retry-After"))
    cookies = sorted(value.split("=", 1)[0] for value in response.headers.getlist("Set-Cookie"))
    jobs = sorted((job, len(args)) for _, _, job, args, _ in queue._heap)
    return {"status": response.status_code, "body": response.get_data(), "headers": headers,
            "cookies": [name for name in cookies if name != "porch_session"], "statements": statements, "jobs": jobs}


def test_it_answers_and_works_the_same_whether_or_not_the_address_has_an_account(smtp_server, practice, app):
    make_portal_account(practice.aisha)
    what_asking_for_a_reset_shows(app, "warm-up@example.com", "10.0.0.1")
    for known, unknown in (("carlos@brunswick.example", "carla@brunswick.example"),
                           ("aisha@example.com", "aisha@example.org")):
        assert what_asking_for_a_reset_shows(app, known, "10.0.0.2") == \
            what_asking_for_a_reset_shows(app, unknown, "10.0.0.3")
    run_jobs(app)
    assert sorted(m["To"] for m in smtp_server.messages) == ["aisha@example.com", "carlos@brunswick.example",]
