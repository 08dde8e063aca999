"""online booking set-up: services, practitioners' weekly hours and exceptions, booking rules; an appointment's
service and status (requested / booked / declined; existing rows: booked)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 07:34:17.886374

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_rules',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), server_default='off', nullable=False),
    sa.Column('min_notice_minutes', sa.Integer(), server_default='1440', nullable=False),
    sa.Column('horizon_days', sa.Integer(), server_default='60', nullable=False),
    sa.Column('slot_step_minutes', sa.Integer(), server_default='15', nullable=False),
    sa.Column('change_cutoff_minutes', sa.Integer(), server_default='1440', nullable=False),
    sa.Column('new_clients_may_book', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('updated_at', app.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_booking_rules_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_booking_rules'))
    )
    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('price_minor', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('buffer_before_minutes', sa.Integer(), server_default='0', nullable=False),
    sa.Column('buffer_after_minutes', sa.Integer(), server_default='0', nullable=False),
    sa.Column('offered_online', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('retired_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_services_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('availability_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('starts', sa.Time(), nullable=True),
    sa.Column('ends', sa.Time(), nullable=True),
    sa.CheckConstraint('starts IS NULL OR ends IS NULL OR starts < ends', name=op.f('ck_availability_exceptions_starts_before_ends')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['users.id'], name=op.f('fk_availability_exceptions_practitioner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_availability_exceptions_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_exceptions'))
    )
    with op.batch_alter_table('availability_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_exceptions_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_availability_exceptions_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('service_practitioners',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_practitioners_service_id_services'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_service_practitioners_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'user_id', name=op.f('pk_service_practitioners'))
    )
    op.create_table('weekly_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.CheckConstraint('starts < ends', name=op.f('ck_weekly_hours_starts_before_ends')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_weekly_hours_weekday_in_week')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['users.id'], name=op.f('fk_weekly_hours_practitioner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_weekly_hours_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_hours'))
    )
    with op.batch_alter_table('weekly_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weekly_hours_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_weekly_hours_workspace_id'), ['workspace_id'], unique=False)

    # In place, not a batch rebuild (that would break the foreign keys pointing at appointments on SQLite).
    op.execute("ALTER TABLE appointments ADD COLUMN service_id INTEGER "
               "CONSTRAINT fk_appointments_service_id_services REFERENCES services (id)")
    op.add_column('appointments', sa.Column('status', sa.String(length=16), server_default='booked', nullable=False))
    op.create_index(op.f('ix_appointments_service_id'), 'appointments', ['service_id'], unique=False)
    # a practitioner's bookings in a date range, for free slots and the calendar
    op.create_index('ix_appointments_practitioner_id_starts_at', 'appointments', ['practitioner_id', 'starts_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_appointments_practitioner_id_starts_at', table_name='appointments')
    op.drop_index(op.f('ix_appointments_service_id'), table_name='appointments')
    op.execute("ALTER TABLE appointments DROP COLUMN status")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint('fk_appointments_service_id_services', 'appointments', type_='foreignkey')
    op.execute("ALTER TABLE appointments DROP COLUMN service_id")

    with op.batch_alter_table('weekly_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weekly_hours_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_weekly_hours_practitioner_id'))

    op.drop_table('weekly_hours')
    op.drop_table('service_practitioners')
    with op.batch_alter_table('availability_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_exceptions_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_availability_exceptions_practitioner_id'))

    op.drop_table('availability_exceptions')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_workspace_id'))

    op.drop_table('services')
    op.drop_table('booking_rules')
