"""Password hashing (argon2id) and the rules a new password must meet."""

import sys
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown address as slow as one for a known address.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


def hash_password(password: str) -> str:
    return _off_the_event_loop(_hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return (_off_the_event_loop(_hasher.verify, password_hash or _DUMMY_HASH, password)
                and password_hash is not None)
    except (VerificationError, InvalidHashError):
        return False


def _off_the_event_loop(work, *args):
    """Under a gevent worker (`make run`) a hash would freeze every request and live socket of that process for
    its whole run (measured: /healthz waited 1 s behind one login); argon2 lets go of the GIL, so a real thread
    of gevent's pool does it while the loop goes on."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("threading"):
        return work(*args)
    import gevent

    return gevent.get_hub().threadpool.apply(work, args)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def password_problem(password: str, email: str = "") -> str | None:
    """Why this password may not be used, in words for the person choosing it; None if it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        return "This password is too common. Try a few unrelated words together."
    local_part = email.partition("@")[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        return "Don't use your e-mail address in your password."
    return None
