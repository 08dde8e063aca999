"""A second step at sign-in: a code from an authenticator app (TOTP, RFC 6238) or one of ten recovery codes.

Each app code is taken once: the last time step accepted is stored, and a code of that step or an earlier one
is refused. Wrong codes are counted per account in flask-limiter's storage, like wrong passwords (app.auth.lockout).
"""

import base64
import hashlib
import hmac
import io
import secrets
from datetime import timedelta

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, or_, select, update

from app import clock
from app.auth.lockout import Failures, TryLater
from app.auth.models import RecoveryCode, SignInChallenge, User
from app.auth.tokens import digest, new_token
from app.db import db

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_BYTES = 10  # 80 bits, shown as four groups of four base32 characters
CHALLENGE_TTL = timedelta(minutes=5)
# One step either side of now, for phones whose clock is a little off.
VALID_WINDOW = 1


class TooManyCodes(TryLater):
    def __init__(self, until: float):
        super().__init__("Too many wrong codes.", until)


WRONG_CODES = Failures("wrong-mfa-codes", "5 per minute;20 per hour", TooManyCodes)


# --- setting up --------------------------------------------------------------------------------------

def secret_for_setup(user: User) -> str:
    """The secret the app is being set up with: kept (encrypted) until confirmed, so a reload shows the same QR."""
    if user.totp_secret is None or user.uses_mfa:
        user.totp_secret = pyotp.random_base32()
        user.mfa_enabled_at = None
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=user.workspace.name)


def qr_code_svg(uri: str) -> Markup:
    """The QR code as inline SVG: one path, no style attributes (the Content-Security-Policy allows none)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", xmldecl=False, svgns=True, nl=False, scale=5, border=4,
                                    title="QR code for your authenticator app", svgclass="qr", lineclass=None)
    return Markup(out.getvalue().decode())


def spaced(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def turn_on(user: User, code: str) -> list[str] | None:
    """Confirm the app with a code from it; the new recovery codes (to show once), or None if the code is wrong."""
    if user.totp_secret is None or user.uses_mfa or not _app_code_ok(user, code):
        return None
    user.mfa_enabled_at = clock.now()
    return new_recovery_codes(user)


def turn_off(user: User) -> None:
    user.totp_secret = user.mfa_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes; the old ones stop working. Only their hashes are stored."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_readable(secrets.token_bytes(RECOVERY_CODE_BYTES)) for _ in range(RECOVERY_CODE_COUNT)]
    now = clock.now()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(code), created_at=now) for code in codes)
    return codes


def unused_recovery_codes(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def are_current_recovery_codes(user: User, codes: list[str]) -> bool:
    """Whether these are exactly the user's unused codes (so a download only ever carries the person's own)."""
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all()
    return bool(codes) and sorted(_code_hash(c) for c in codes) == sorted(stored)


# --- signing in --------------------------------------------------------------------------------------

def start_challenge(user: User) -> str:
    """Record that the password was right; the token (for the session cookie) finishes the sign-in with a code."""
    token, token_hash = new_token()
    now = clock.now()
    db.session.execute(delete(SignInChallenge).where(or_(SignInChallenge.user_id == user.id,
                                                         SignInChallenge.expires_at <= now)))
    db.session.add(SignInChallenge(user_id=user.id, token_hash=token_hash, created_at=now,
                                   expires_at=now + CHALLENGE_TTL))
    return token


def challenge_for(token: str | None) -> SignInChallenge | None:
    if not token:
        return None
    challenge = db.session.scalar(select(SignInChallenge).where(SignInChallenge.token_hash == digest(token)))
    if challenge is None or challenge.expires_at <= clock.now():
        return None
    return challenge


def end_challenge(challenge: SignInChallenge) -> None:
    db.session.delete(challenge)


def code_accepted(user: User, code: str) -> bool:
    """A code from the app or an unused recovery code, each taken once; wrong ones count toward a lock-out."""
    WRONG_CODES.take_a_try(_account(user))
    if _app_code_ok(user, code) or _recovery_code_ok(user, code):
        WRONG_CODES.forgive(_account(user))
        return True
    return False


def app_code_accepted(user: User, code: str) -> bool:
    """Only a code from the app (turning MFA off, new recovery codes), rate limited like sign-in codes."""
    WRONG_CODES.take_a_try(_account(user))
    if _app_code_ok(user, code):
        WRONG_CODES.forgive(_account(user))
        return True
    return False


def _account(user: User) -> str:
    return f"user-{user.id}"


def _app_code_ok(user: User, code: str) -> bool:
    code = "".join(code.split())
    if user.totp_secret is None or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now_step = totp.timecode(clock.now())
    matched = [step for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1)
               if hmac.compare_digest(totp.generate_otp(step), code)]
    if not matched:
        return False
    step = matched[-1]
    # Conditional, so that two requests with one code at once can't both pass.
    taken = db.session.execute(update(User).where(
        User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step),
    ).values(totp_last_step=step).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def _recovery_code_ok(user: User, code: str) -> bool:
    wanted = _code_hash(code)
    unused = db.session.execute(select(RecoveryCode.id, RecoveryCode.code_hash).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all()
    found = None
    for row_id, code_hash in unused:  # every row compared, in constant time each
        if hmac.compare_digest(code_hash, wanted):
            found = row_id
    if found is None:
        return False
    taken = db.session.execute(update(RecoveryCode).where(RecoveryCode.id == found, RecoveryCode.used_at.is_(None))
                               .values(used_at=clock.now()).execution_options(synchronize_session=False))
    return taken.rowcount == 1


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _code_hash(code: str) -> str:
    return hashlib.sha256(_normalised(code).encode()).hexdigest()


def _readable(raw: bytes) -> str:
    text = base64.b32encode(raw).decode().rstrip("=")
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))
