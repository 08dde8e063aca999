"""free slots: one index that answers "what is booked for these practitioners in this range" on its own

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 15:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_appointments_busy', 'appointments',
                    ['workspace_id', 'practitioner_id', 'starts_at', 'duration_minutes', 'service_id', 'status',
                     'cancelled_at'])


def downgrade():
    op.drop_index('ix_appointments_busy', table_name='appointments')
