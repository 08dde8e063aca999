"""Turning MFA on and signing in with it, the way a person does it in the account pages."""

import re
from datetime import timedelta

import pyotp

from app import clock
from app.auth.models import User
from app.db import db
from tests.conftest import PASSWORD, Visitor

RECOVERY_CODE = re.compile(r"<code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})</code>")


def code_now(user: User) -> str:
    db.session.refresh(user)
    return pyotp.TOTP(user.totp_secret).at(clock.now())


def next_step() -> None:
    """Move to the next 30-second time step, so the app shows a new code."""
    clock.advance(timedelta(seconds=30))


def turn_on_mfa(visitor: Visitor, user: User) -> list[str]:
    """Open the setup page, enter the app's code; the ten recovery codes shown."""
    clock.freeze(clock.now())
    assert visitor.get("/account/mfa/setup").status_code == 200
    page = visitor.post("/account/mfa/setup", {"code": code_now(user)})
    assert page.status_code == 200, page.get_data(as_text=True)
    next_step()
    return RECOVERY_CODE.findall(page.get_data(as_text=True))


def sign_in_with_password(visitor: Visitor, email: str, password: str = PASSWORD):
    response = visitor.post("/login", {"email": email, "password": password})
    assert response.status_code == 303
    return response
