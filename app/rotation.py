"""Key rotation: every encrypted column and every stored file's data key moved under the newest key."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken
from sqlalchemy import Text, literal, select, type_coerce

from app import crypto
from app.db import EncryptedText, db

ROTATION_BATCH = 500


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
                    if token is None or crypto.is_current(token):
                        continue
                    try:
                        changed[column.name] = literal(crypto.reencrypt(token), Text)
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
