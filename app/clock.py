"""The one clock: every "now" in Porch comes from here, so tests can move time."""

from datetime import UTC, datetime, timedelta

_frozen_at: datetime | None = None


def now() -> datetime:
    return _frozen_at if _frozen_at is not None else datetime.now(UTC)


def freeze(at: datetime) -> None:
    global _frozen_at
    _frozen_at = at.astimezone(UTC)


def advance(by: timedelta) -> None:
    freeze(now() + by)


def unfreeze() -> None:
    global _frozen_at
    _frozen_at = None
