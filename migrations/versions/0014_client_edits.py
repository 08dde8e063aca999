"""client edits: e-mails telling a client their login address changed

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 06:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('address_change_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('to_new_address', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('claimed_until', app.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('trying_since', app.db.UTCDateTime(), nullable=True),
    sa.Column('next_attempt_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('sent_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failed_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_address_change_notices_client_id_clients')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                            name=op.f('fk_address_change_notices_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address_change_notices'))
    )
    with op.batch_alter_table('address_change_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_address_change_notices_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_address_change_notices_workspace_id'), ['workspace_id'], unique=False)


def downgrade():
    with op.batch_alter_table('address_change_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_address_change_notices_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_address_change_notices_client_id'))
    op.drop_table('address_change_notices')
