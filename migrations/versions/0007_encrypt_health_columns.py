"""Encrypt group names, appointment locations and the workspace's contact note at rest

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:00:00

Each column is replaced by a TEXT column holding the Fernet token of its old value (the app's own
PORCH_ENCRYPTION_KEYS, newest key), filled in batches; then the old column goes and the new one takes its
name. Adding, dropping and renaming a column works alike on PostgreSQL and SQLite (3.35+), without
rebuilding the tables that so many others refer to.
"""
from alembic import op
import sqlalchemy as sa

from app.crypto import decrypt, encrypt


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = [("conversations", "title", 120), ("appointments", "location", 200),
           ("workspaces", "client_contact_note", 300)]
BATCH = 500


def _convert(table: str, column: str, new_type, change) -> None:
    """Copy `column` into a new column of `new_type` through `change`, then put the new one in its place."""
    draft = f"{column}_draft"
    op.add_column(table, sa.Column(draft, new_type, nullable=True))
    connection = op.get_bind()
    after = 0
    while rows := connection.execute(sa.text(
        f"SELECT id, {column} FROM {table} WHERE id > :after AND {column} IS NOT NULL ORDER BY id LIMIT :batch"
    ), {"after": after, "batch": BATCH}).all():
        connection.execute(sa.text(f"UPDATE {table} SET {draft} = :value WHERE id = :id"),
                           [{"id": row_id, "value": change(value)} for row_id, value in rows])
        after = rows[-1][0]
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.execute(f"ALTER TABLE {table} RENAME COLUMN {draft} TO {column}")


def upgrade():
    for table, column, _ in COLUMNS:
        _convert(table, column, sa.Text(), encrypt)


def downgrade():
    for table, column, length in COLUMNS:
        _convert(table, column, sa.String(length), decrypt)
