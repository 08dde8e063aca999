"""The database session, the model base and the column types every model shares."""

from datetime import UTC, datetime
from functools import cache

from flask import g, has_app_context, has_request_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, Text, TypeDecorator, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Session, registry

from app.crypto import decrypt, encrypt

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def insert_on_conflict(model):
    """An INSERT for `model` in the current database's dialect, which has `on_conflict_do_nothing/_update`: the
    way to write a row that two requests may write at the same moment without one of them failing."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)


def prepared(build):
    """`build()`'s statement, made once on first use and then run with new values for its bindparam()s.

    Putting a select() together costs more than running it (about 0.15 ms of Python against 0.05 ms for one of
    the portal cards' queries on SQLite), so the statements every page asks (the session, the portal's cards,
    the staff badge) are built once per process."""
    return cache(build)


def contains(text: str) -> str:
    """A LIKE pattern (escape character: backslash) matching `text` anywhere, wildcards in it taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC on every database; always read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class EncryptedText(TypeDecorator):
    """Text encrypted at rest with the configured keys (see app.crypto)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING), type_annotation_map={datetime: UTCDateTime})


db = SQLAlchemy(model_class=Base)


REQUEST_MEMO = "db_request_memo"


def once_per_request(key, compute):
    """`compute()`, asked once per request for `key` (the page and its badge both want the same count). Forgotten
    as soon as this request writes anything (a flush, an UPDATE or INSERT, a rollback), so an answer read after a
    change is always fresh; a commit alone changes nothing this request reads, so an answer worked out after the
    last write is kept past it (a conversation page marks it read, commits, then shows the badge). Outside a
    request (jobs, live pushes) always computed."""
    if not has_request_context():
        return compute()
    memo = g.setdefault(REQUEST_MEMO, {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _forget_memo(*_args) -> None:
    if has_app_context():
        g.pop(REQUEST_MEMO, None)


def _forget_memo_on_write(orm_execute_state) -> None:
    if not orm_execute_state.is_select:
        _forget_memo()


for _event in ("after_flush", "after_rollback"):
    event.listen(Session, _event, _forget_memo)
event.listen(Session, "do_orm_execute", _forget_memo_on_write)
