from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, text

from app import clock
from app.audit.models import AuditEvent
from app.auth.models import RecoveryCode, User
from app.db import db
from tests.auth.mfa_steps import code_now, next_step, sign_in_with_password, turn_on_mfa
from tests.conftest import PASSWORD, Visitor, make_portal_account


def actions(user: User) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_user_id == user.id)
                                   .order_by(AuditEvent.id)))


def test_it_shows_a_qr_code_as_plain_svg_and_the_key_as_text(practice, as_user):
    aisha = make_portal_account(practice.aisha)
    page = as_user(aisha).get("/account/mfa/setup").get_data(as_text=True)
    db.session.refresh(aisha)
    assert "<svg" in page and "<path" in page and "style=" not in page
    assert " ".join(aisha.totp_secret[i:i + 4] for i in range(0, len(aisha.totp_secret), 4)) in page
    assert aisha.mfa_enabled_at is None


def test_it_turns_mfa_on_with_a_code_and_shows_ten_recovery_codes_once(practice, as_user):
    aisha = make_portal_account(practice.aisha)
    visitor = as_user(aisha)
    codes = turn_on_mfa(visitor, aisha)
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.refresh(aisha)
    assert aisha.uses_mfa
    assert "mfa.enabled" in actions(aisha)
    account = visitor.get("/portal/account").get_data(as_text=True)
    assert "10 unused recovery codes left" in account
    assert not any(code in account for code in codes)


def test_it_refuses_a_wrong_code_when_turning_mfa_on(practice, as_user):
    aisha = make_portal_account(practice.aisha)
    visitor = as_user(aisha)
    visitor.get("/account/mfa/setup")
    response = visitor.post("/account/mfa/setup", {"code": "000000" if code_now(aisha) != "000000" else "111111"})
    assert response.status_code == 422
    assert "That code isn&#39;t right" in response.get_data(as_text=True)
    db.session.refresh(aisha)
    assert not aisha.uses_mfa


def test_it_stores_recovery_codes_only_as_hashes(practice, as_user):
    aisha = make_portal_account(practice.aisha)
    codes = turn_on_mfa(as_user(aisha), aisha)
    stored = " ".join(str(v) for row in db.session.execute(text("SELECT * FROM recovery_codes")) for v in row)
    assert len(db.session.scalars(select(RecoveryCode)).all()) == 10
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored


def test_it_stores_the_totp_secret_encrypted(practice, as_user):
    aisha = make_portal_account(practice.aisha)
    turn_on_mfa(as_user(aisha), aisha)
    db.session.refresh(aisha)
    raw = db.session.execute(text("SELECT totp_secret FROM users WHERE id = :id"), {"id": aisha.id}).scalar_one()
    assert aisha.totp_secret not in raw


def test_it_asks_for_a_code_after_the_password_and_is_not_signed_in_before(practice, as_user, app):
    aisha = make_portal_account(practice.aisha)
    turn_on_mfa(as_user(aisha), aisha)
    visitor = Visitor(app.test_client())
    response = sign_in_with_password(visitor, aisha.email)
    assert urlsplit(response.headers["Location"]).path == "/login/code"
    assert urlsplit(visitor.get("/portal").headers["Location"]).path == "/login"
    response = visitor.post("/login/code", {"code": code_now(aisha)})
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/portal"
    assert visitor.get("/portal").status_code == 200


def test_it_refuses_the_same_code_twice_within_its_time_step(practice, as_user, app):
    aisha = make_portal_account(practice.aisha)
    turn_on_mfa(as_user(aisha), aisha)
    code = code_now(aisha)
    first = Visitor(app.test_client())
    sign_in_with_password(first, aisha.email)
    assert first.post("/login/code", {"code": code}).status_code == 303
    again = Visitor(app.test_client())
    sign_in_with_password(again, aisha.email)
    replay = again.post("/login/code", {"code": code})
    assert replay.status_code == 422
    assert "That code isn&#39;t right" in replay.get_data(as_text=True)
    next_step()
    assert again.post("/login/code", {"code": code_now(aisha)}).status_code == 303


def test_it_takes_each_recovery_code_once(practice, as_user, app):
    aisha = make_portal_account(practice.aisha)
    codes = turn_on_mfa(as_user(aisha), aisha)
    visitor = Visitor(app.test_client())
    sign_in_with_password(visitor, aisha.email)
    assert visitor.post("/login/code", {"code": codes[0].lower().replace("-", " ")}).status_code == 303
    again = Visitor(app.test_client())
    sign_in_with_password(again, aisha.email)
    assert again.post("/login/code", {"code": codes[0]}).status_code == 422
    assert again.post("/login/code", {"code": codes[1]}).status_code == 303


def test_it_locks_out_wrong_codes_after_five_a_minute(practice, as_user, app):
    aisha = make_portal_account(practice.aisha)
    turn_on_mfa(as_user(aisha), aisha)
    visitor = Visitor(app.test_client())
    sign_in_with_password(visitor, aisha.email)
    wrong = "000000" if code_now(aisha) != "000000" else "111111"
    assert [visitor.post("/login/code", {"code": wrong}).status_code for _ in range(5)] == [422] * 5
    locked = visitor.post("/login/code", {"code": code_now(aisha)})
    assert locked.status_code == 429
    assert "Too many wrong codes" in locked.get_data(as_text=True)
    assert int(locked.headers["Retry-After"]) > 0


def test_it_forgets_a_half_done_sign_in_after_five_minutes(practice, as_user, app):
    aisha = make_portal_account(practice.aisha)
    turn_on_mfa(as_user(aisha), aisha)
    visitor = Visitor(app.test_client())
    sign_in_with_password(visitor, aisha.email)
    clock.advance(timedelta(minutes=6))
    response = visitor.post("/login/code", {"code": code_now(aisha)})
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/login"
    assert urlsplit(visitor.get("/portal").headers["Location"]).path == "/login"


def test_it_makes_new_recovery_codes_and_the_old_ones_stop_working(practice, as_user, app):
    aisha = make_portal_account(practice.aisha)
    visitor = as_user(aisha)
    old = turn_on_mfa(visitor, aisha)
    page = visitor.post("/account/mfa/recovery-codes", {"codes_code": code_now(aisha)})
    assert page.status_code == 200
    assert "mfa.recovery_codes_renewed" in actions(aisha)
    next_step()
    other = Visitor(app.test_client())
    sign_in_with_password(other, aisha.email)
    assert other.post("/login/code", {"code": old[0]}).status_code == 422


def test_it_downloads_the_codes_shown_as_text_and_nothing_else(practice, as_user):
    aisha = make_portal_account(practice.aisha)
    visitor = as_user(aisha)
    codes = turn_on_mfa(visitor, aisha)
    download = visitor.post("/account/mfa/recovery-codes.txt", {"code": codes})
    assert download.status_code == 200 and download.mimetype == "text/plain"
    assert "attachment" in download.headers["Content-Disposition"]
    assert all(code in download.get_data(as_text=True) for code in codes)
    made_up = visitor.post("/account/mfa/recovery-codes.txt", {"code": [*codes[:9], "<script>alert(1)</script>"]})
    assert made_up.status_code == 410


def test_it_turns_mfa_off_only_with_password_and_code(practice, as_user, app):
    aisha = make_portal_account(practice.aisha)
    visitor = as_user(aisha)
    turn_on_mfa(visitor, aisha)
    wrong_password = visitor.post("/account/mfa/off", {"off_password": "not-my-password", "off_code": code_now(aisha)})
    assert wrong_password.status_code == 422
    assert "That isn&#39;t your current password." in wrong_password.get_data(as_text=True)
    response = visitor.post("/account/mfa/off", {"off_password": PASSWORD, "off_code": code_now(aisha)})
    assert response.status_code == 303
    db.session.refresh(aisha)
    assert not aisha.uses_mfa and aisha.totp_secret is None
    assert db.session.scalars(select(RecoveryCode)).all() == []
    assert "mfa.disabled" in actions(aisha)
    Visitor(app.test_client()).login(aisha.email)  # the password alone again
