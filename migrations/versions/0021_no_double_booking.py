"""online booking: appointments booked from the portal never overlap (PostgreSQL), and the client's notices

Revision ID: 0021
Revises: 0024
Create Date: 2026-12-03 15:00:00

"""
import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0024'
branch_labels = None
depends_on = None

# Only appointments booked from the portal are held apart by the database: staff may still "book anyway" on top of
# another appointment. An online booking is also checked against every other appointment, under a lock, in
# app.appointments.booking; this constraint is the last word if two online bookings ever meet.
EXCLUSION = (
    "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_online_no_overlap EXCLUDE USING gist "
    "(practitioner_id WITH =, tsrange(starts_at, starts_at + make_interval(mins => duration_minutes)) WITH &&) "
    "WHERE (booked_online AND cancelled_at IS NULL AND status <> 'declined')"
)


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booked_online', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('appointment_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=16), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('starts_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('claimed_until', app.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('trying_since', app.db.UTCDateTime(), nullable=True),
    sa.Column('next_attempt_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('sent_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failed_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_appointment_notices_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_appointment_notices_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_notices'))
    )
    with op.batch_alter_table('appointment_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_notices_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_notices_workspace_id'), ['workspace_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(EXCLUSION)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE appointments DROP CONSTRAINT IF EXISTS ex_appointments_online_no_overlap")
    with op.batch_alter_table('appointment_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_notices_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_appointment_notices_appointment_id'))
    op.drop_table('appointment_notices')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('booked_online')
