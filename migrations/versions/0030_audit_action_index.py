"""audit log: an index on (workspace_id, action, id) for the "Action" choices and the log filtered by one action

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 18:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_events_workspace_id_action_id', 'audit_events', ['workspace_id', 'action', 'id'])


def downgrade():
    op.drop_index('ix_audit_events_workspace_id_action_id', table_name='audit_events')
