"""the team: staff invites, and audit rows that name the colleague acted on

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02 06:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


# SQLite's batch mode rebuilds audit_events, and its append-only triggers (0001) go with the old table.
AUDIT_GUARD_SQLITE = """
CREATE TRIGGER IF NOT EXISTS audit_events_no_{op} BEFORE {op} ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END
"""


def _keep_audit_append_only():
    if op.get_bind().dialect.name == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            op.execute(AUDIT_GUARD_SQLITE.format(op=operation))


def upgrade():
    op.create_table('staff_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('request_key', sa.String(length=36), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('accepted_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('sealed_token', app.db.EncryptedText(), nullable=True),
    sa.Column('expires_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('claimed_until', app.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('trying_since', app.db.UTCDateTime(), nullable=True),
    sa.Column('next_attempt_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('sent_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failed_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_staff_invites_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_invites_user_id_users')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_staff_invites_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_invites')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_invites_token_hash')),
    sa.UniqueConstraint('workspace_id', 'request_key', name=op.f('uq_staff_invites_workspace_id_request_key'))
    )
    with op.batch_alter_table('staff_invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_invites_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_invites_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('detail', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_subject_user_id'), ['subject_user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_subject_user_id_users'), 'users',
                                    ['subject_user_id'], ['id'])
    _keep_audit_append_only()


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_subject_user_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_events_subject_user_id'))
        batch_op.drop_column('detail')
        batch_op.drop_column('subject_user_id')
    _keep_audit_append_only()
    with op.batch_alter_table('staff_invites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_invites_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_staff_invites_email'))
    op.drop_table('staff_invites')
