"""Failed sign-ins, counted per account: the address typed, normalised, on /login and /portal/login alike.

The counts live in flask-limiter's storage (Redis when REDIS_URL is set), so every web process sees them.
They are kept for any address, with or without an account, so a lock-out tells nothing about the account;
the key is a digest, so the storage holds no e-mail addresses.
"""

import hashlib
import math
import time

from limits import parse_many

from app.auth.sessions import normalise_email
from app.extensions import limiter

# Each tier waits longer: 5 wrong guesses cost a minute, 10 a quarter of an hour, 20 an hour.
FAILED_SIGN_IN_LIMITS = parse_many("5 per minute;10 per 15 minutes;20 per hour")
SCOPE = "failed-sign-ins"


class LockedOut(Exception):
    """Too many failed sign-ins for this address; the message says when to try again, the same for every address."""

    def __init__(self, until: float):
        self.retry_after = max(1, math.ceil(until - time.time()))
        minutes = math.ceil(self.retry_after / 60)
        super().__init__(f"Too many failed sign-ins with this e-mail address. Try again in {minutes} "
                         f"minute{'' if minutes == 1 else 's'}, or reset your password.")


def _account(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def refuse_while_locked_out(email: str) -> None:
    """Raise LockedOut while the address has used up any tier, whatever the password tried now."""
    account, counts = _account(email), limiter.limiter
    used_up = [counts.get_window_stats(limit, SCOPE, account).reset_time
               for limit in FAILED_SIGN_IN_LIMITS if not counts.test(limit, SCOPE, account)]
    if used_up:
        raise LockedOut(max(used_up))


def count_failed_sign_in(email: str) -> None:
    account = _account(email)
    for limit in FAILED_SIGN_IN_LIMITS:
        limiter.limiter.hit(limit, SCOPE, account)
