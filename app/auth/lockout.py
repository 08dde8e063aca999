"""Failed sign-ins, counted per account: the address typed, normalised, on /login and /portal/login alike.

Each try is counted before it is judged and a right one is forgiven, so that a burst of parallel guesses meets
the same ceiling as guesses one after another.

The counts live in flask-limiter's storage (Redis when REDIS_URL is set), so every web process sees them.
While that storage cannot be reached, each process counts on its own (in memory) rather than letting every try
through or failing the sign-in page: the limits still hold, per process, until Redis is back.
They are kept for any address, with or without an account, so a lock-out tells nothing about the account;
the key is a digest, so the storage holds no e-mail addresses.
"""

import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from redis.exceptions import RedisError

from app.auth.sessions import normalise_email
from app.extensions import limiter

log = logging.getLogger(__name__)
_in_this_process = FixedWindowRateLimiter(MemoryStorage())
T = TypeVar("T")


def _counted(use: Callable[[RateLimiter], T]) -> T:
    """`use(counts)` on the shared counts, or on this process's own while the shared storage is unreachable."""
    try:
        return use(limiter.limiter)
    except (RedisError, OSError):
        log.warning("the sign-in counts in Redis are unreachable; counting in this process until they are back")
        return use(_in_this_process)


class TryLater(Exception):
    """Refused for a while: `retry_after` seconds; the message says what happened and when to try again."""

    def __init__(self, what: str, until: float, or_else: str = ""):
        self.retry_after = max(1, math.ceil(until - time.time()))
        minutes = math.ceil(self.retry_after / 60)
        super().__init__(f"{what} Try again in {minutes} minute{'' if minutes == 1 else 's'}{or_else}.")


class LockedOut(TryLater):
    """Too many failed sign-ins for this address; the same words for every address."""

    def __init__(self, until: float):
        super().__init__("Too many failed sign-ins with this e-mail address.", until, ", or reset your password")


class Failures:
    """Failures of one kind counted per key, tier by tier; while any tier is used up, `refusal` is raised."""

    def __init__(self, scope: str, limits: str, refusal: type[TryLater]):
        self.scope, self.limits, self.refusal = scope, parse_many(limits), refusal

    def _refuse_while_used_up(self, counts: RateLimiter, key: str) -> None:
        used_up = [counts.get_window_stats(limit, self.scope, key).reset_time
                   for limit in self.limits if not counts.test(limit, self.scope, key)]
        if used_up:
            raise self.refusal(max(used_up))

    def take_a_try(self, key: str) -> None:
        """Count this try before it is judged, so that guesses sent all at once cannot slip in before the count
        rises (each hit is one atomic increment); raise `refusal` once any tier is used up."""
        _counted(lambda counts: self._take_a_try(counts, key))

    def _take_a_try(self, counts: RateLimiter, key: str) -> None:
        self._refuse_while_used_up(counts, key)
        refused = [limit for limit in self.limits if not counts.hit(limit, self.scope, key)]
        if refused:
            raise self.refusal(max(counts.get_window_stats(limit, self.scope, key).reset_time for limit in refused))

    def forgive(self, key: str) -> None:
        """The try was right: it, and the failures before it, no longer count."""
        def clear(counts: RateLimiter) -> None:
            for limit in self.limits:
                counts.clear(limit, self.scope, key)

        _counted(clear)


# Each tier waits longer: 5 wrong guesses cost a minute, 10 a quarter of an hour, 20 an hour.
FAILED_SIGN_INS = Failures("failed-sign-ins", "5 per minute;10 per 15 minutes;20 per hour", LockedOut)


def _account(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def count_sign_in_try(email: str) -> None:
    """Raise LockedOut while the address has used up any tier, whatever the password tried now."""
    FAILED_SIGN_INS.take_a_try(_account(email))


def forgive_sign_in_tries(email: str) -> None:
    FAILED_SIGN_INS.forgive(_account(email))
