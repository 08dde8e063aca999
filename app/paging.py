"""Pages of lists: `page_of` (LIMIT/OFFSET and a COUNT) for small ones, `keyset_page_of` (by cursor) for big ones."""

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import Select, func, select, tuple_

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


# --- keyset (cursor) pages: for lists that grow without bound -------------------------------------
#
# OFFSET makes the database walk every row before the page, and COUNT walks them all; at 10,000 clients or a
# million messages both cost more than the page. A keyset page asks for the rows after (or before) the last
# one shown, by the list's own sort key, so every page costs the same. The cursor in the query string holds
# only the id of that row and which way to go (never a name: names sort lists but are not put in URLs),
# signed so a hand-made one is refused, and bound to the list it came from.

CURSOR_SALT = "porch.paging.cursor"


@dataclass(frozen=True)
class KeysetPage:
    items: list
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def _serializer(scope: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"{CURSOR_SALT}:{scope}")


def make_cursor(scope: str, direction: str, row_id: int) -> str:
    return _serializer(scope).dumps([direction, row_id])


def read_cursor(scope: str, cursor: str | None) -> tuple[str, int] | None:
    """(direction, id) from a cursor this list made; anything else (edited, from another list) is None."""
    if not cursor or len(cursor) > 200:
        return None
    try:
        direction, row_id = _serializer(scope).loads(cursor)
    except (BadData, ValueError, TypeError):
        return None
    if direction not in ("n", "p") or type(row_id) is not int:
        return None
    return direction, row_id


def keyset_page_of(query: Select, order: list, cursor: str | None, size: int, *, scope: str,
                   descending: bool = False) -> KeysetPage:
    """One page of `query` sorted by the columns `order`, all one way; the last one is the rows' unique id.

    `cursor` is the `next_cursor`/`previous_cursor` of an earlier page of the same `scope`; a missing, edited
    or foreign one, or one whose row has gone (or is not in `query`, e.g. another workspace's), gives the
    first page. Two small queries: the cursor row's sort key (by primary key, within `query`'s own WHERE),
    and the page (LIMIT size + 1, to know whether there is more).
    """
    asked = read_cursor(scope, cursor)
    key = None
    if asked:
        key = db.session.execute(query.with_only_columns(*order).order_by(None)
                                 .where(order[-1] == asked[1]).limit(1)).first()
    backwards = bool(key) and asked[0] == "p"
    if key is not None:
        keys, bound = tuple_(*order), tuple_(*key)
        query = query.where(keys < bound if descending != backwards else keys > bound)
    ordering = [c.desc() if descending != backwards else c.asc() for c in order]
    rows = list(db.session.scalars(query.order_by(None).order_by(*ordering).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return KeysetPage([], None, None)
    has_previous, has_next = (more, True) if backwards else (key is not None, more)
    name = order[-1].key
    return KeysetPage(rows, make_cursor(scope, "n", getattr(rows[-1], name)) if has_next else None,
                      make_cursor(scope, "p", getattr(rows[0], name)) if has_previous else None)


def cursor_arg(value: str | None) -> str | None:
    """The ?after= asked for, if it is short enough to be one of ours."""
    return value if value and len(value) <= 512 else None
