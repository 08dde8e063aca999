"""Audit trail: the item a row is about, a hash chain over every row (with its one-row head); data exports

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:00:00

Existing rows get their hashes in id order, in batches; the append-only triggers are set aside for that
(dropped and made again on SQLite, disabled on PostgreSQL) and only for that.
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa

import app.db

from app.audit.chain import GENESIS, chained_hash, canonical


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

BATCH = 500
SQLITE_GUARD = """
CREATE TRIGGER audit_events_no_{op} BEFORE {op} ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END
"""


def upgrade():
    op.add_column('audit_events', sa.Column('subject_type', sa.String(length=32), nullable=True))
    op.add_column('audit_events', sa.Column('subject_id', sa.Integer(), nullable=True))
    op.add_column('audit_events', sa.Column('previous_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_events', sa.Column('row_hash', sa.String(length=64), nullable=True))
    op.create_table('audit_chain_head',
                    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('last_hash', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')))
    with _guard_lifted():
        last = _backfill()
    op.execute(sa.text("INSERT INTO audit_chain_head (id, last_hash) VALUES (1, :last)").bindparams(last=last))
    _create_data_exports()


def _create_data_exports():
    op.create_table('data_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('steps_done', sa.Integer(), nullable=False),
    sa.Column('steps_total', sa.Integer(), nullable=False),
    sa.Column('build_claimed_until', app.db.UTCDateTime(), nullable=True),
    sa.Column('storage_key', sa.String(length=64), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('sealed_token', app.db.EncryptedText(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('ready_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('expires_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('downloaded_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('deleted_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('claimed_until', app.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('trying_since', app.db.UTCDateTime(), nullable=True),
    sa.Column('next_attempt_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('sent_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failed_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_data_exports_client_id_clients')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_data_exports_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_data_exports_token_hash'))
    )
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_exports_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_exports_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_exports_workspace_id'), ['workspace_id'], unique=False)


def _backfill() -> str:
    connection = op.get_bind()
    previous, after = GENESIS, 0
    while rows := connection.execute(sa.text(
        "SELECT id, workspace_id, actor_user_id, action, client_id, ip_address, user_agent, at, subject_user_id, "
        "detail FROM audit_events "
        "WHERE id > :after ORDER BY id LIMIT :batch"), {"after": after, "batch": BATCH}).all():
        changes = []
        for row_id, workspace_id, actor, action, client_id, ip, agent, at, subject_user, detail in rows:
            if isinstance(at, str):
                at = datetime.fromisoformat(at)
            row_hash = chained_hash(previous, canonical(workspace_id, actor, action, client_id, None, None, ip,
                                                        agent, at, subject_user, detail))
            changes.append({"id": row_id, "previous": previous, "hash": row_hash})
            previous = row_hash
        connection.execute(sa.text("UPDATE audit_events SET previous_hash = :previous, row_hash = :hash "
                                   "WHERE id = :id"), changes)
        after = rows[-1][0]
    return previous


class _guard_lifted:
    def __enter__(self):
        if op.get_bind().dialect.name == "sqlite":
            op.execute("DROP TRIGGER IF EXISTS audit_events_no_UPDATE")
        else:
            op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")

    def __exit__(self, *exc):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(SQLITE_GUARD.format(op="UPDATE"))
        else:
            op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")


def downgrade():
    op.drop_table('data_exports')
    op.drop_table('audit_chain_head')
    with _guard_lifted():
        for column in ('row_hash', 'previous_hash', 'subject_id', 'subject_type'):
            op.execute(f"ALTER TABLE audit_events DROP COLUMN {column}")
