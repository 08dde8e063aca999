"""Encryption at rest: Fernet tokens under a MultiFernet, so old keys can be rotated out."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

ROTATION_BATCH = 500


def _keyring() -> MultiFernet:
    keyring = current_app.extensions.get("porch.keyring")
    if keyring is None:
        keys = current_app.config["PORCH_ENCRYPTION_KEYS"]
        keyring = current_app.extensions["porch.keyring"] = MultiFernet([Fernet(k) for k in keys])
    return keyring


def encrypt(text: str) -> str:
    return _keyring().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return _keyring().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same plaintext under the newest key; InvalidToken if no configured key opens it."""
    return _keyring().rotate(token.encode()).decode()


def is_current(token: str) -> bool:
    """Is this token sealed under the newest key (the first in PORCH_ENCRYPTION_KEYS)?"""
    try:
        Fernet(current_app.config["PORCH_ENCRYPTION_KEYS"][0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


@dataclass
class Rotated:
    """What a key rotation did to one table's encrypted columns or to the stored files."""

    what: str
    unit: str = "rows"
    done: str = "re-encrypted"
    rewrapped: int = 0
    current: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)

    def count(self, outcome: str, problem: str = "") -> None:
        """Count one row or file: "rewrapped", "current" or "failed" (then `problem` says what and why)."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        if problem:
            self.problems.append(problem)

    def __str__(self) -> str:
        return (f"{self.what}: {self.rewrapped} {self.unit} {self.done}, {self.current} already under the newest "
                f"key, {self.failed} failed")


def reencrypt_columns(batch_size: int = ROTATION_BATCH) -> Iterator[Rotated]:
    """Every EncryptedText column under the newest key, table by table, committing after each batch of rows.

    A row already under the newest key is left alone, so a run cut short carries on where it stopped.
    """
    from sqlalchemy import Text, literal, select, type_coerce

    from app.db import EncryptedText, db

    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
        if not columns:
            continue
        (key,) = table.primary_key.columns
        done = Rotated(f"{table.name} ({', '.join(c.name for c in columns)})")
        query = select(key, *[type_coerce(c, Text) for c in columns]).order_by(key).limit(batch_size)
        after = None
        while rows := db.session.execute(query if after is None else query.where(key > after)).all():
            for row in rows:
                changed, unopened = {}, []
                for column, token in zip(columns, row[1:], strict=True):
                    if token is None or is_current(token):
                        continue
                    try:
                        changed[column.name] = literal(reencrypt(token), Text)
                    except InvalidToken:
                        unopened.append(column.name)
                if changed:
                    db.session.execute(table.update().where(key == row[0]).values(**changed))
                if unopened:
                    done.count("failed", f"{table.name} {key.name}={row[0]}: no configured key opens "
                                         f"{', '.join(unopened)}")
                else:
                    done.count("rewrapped" if changed else "current")
            db.session.commit()
            after = rows[-1][0]
        yield done
