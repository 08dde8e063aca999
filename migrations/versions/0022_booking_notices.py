"""booking notices: how each practitioner hears of portal bookings, the notices, a declined request's message

Revision ID: 0022
Revises: 0025
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0025'
branch_labels = None
depends_on = None

OWED_EMAIL_COLUMNS = [
    ('claimed_until', app.db.UTCDateTime(), True),
    ('attempts', sa.Integer(), False),
    ('trying_since', app.db.UTCDateTime(), True),
    ('next_attempt_at', app.db.UTCDateTime(), True),
    ('sent_at', app.db.UTCDateTime(), True),
    ('failed_at', app.db.UTCDateTime(), True),
    ('failure_reason', sa.String(length=500), True),
]


def upgrade():
    op.add_column('users', sa.Column('booking_notices', sa.String(length=8), server_default='email',
                                     nullable=False))
    op.add_column('appointments', sa.Column('decline_message', app.db.EncryptedText(), nullable=True))
    op.create_table('practice_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=16), nullable=False),
    sa.Column('starts_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('seen_at', app.db.UTCDateTime(), nullable=True),
    *[sa.Column(name, kind, nullable=nullable) for name, kind, nullable in OWED_EMAIL_COLUMNS],
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                            name=op.f('fk_practice_notices_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practice_notices_user_id_users')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                            name=op.f('fk_practice_notices_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_notices'))
    )
    with op.batch_alter_table('practice_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_notices_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_notices_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_notices_workspace_id'), ['workspace_id'], unique=False)


def downgrade():
    op.drop_table('practice_notices')
    op.execute("ALTER TABLE appointments DROP COLUMN decline_message")
    op.execute("ALTER TABLE users DROP COLUMN booking_notices")
