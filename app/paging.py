"""One page of a list that can grow: the query runs with LIMIT/OFFSET, plus one COUNT for the page links."""

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from app.db import db


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_shown(self) -> int:
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.items) - 1 if self.items else 0


def page_number(value: str | None) -> int:
    """The ?page= asked for: anything but a positive number (or one past any sensible list) is page 1."""
    return int(value) if value and value.isdigit() and 0 < int(value) < 100_000 else 1


def page_of(query: Select, number: int, size: int) -> Page:
    """Page `number` of `query` (already ordered); past the last page gives the last page."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number = min(number, max(1, -(-total // size)))
    items = list(db.session.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(items, number, size, total)
