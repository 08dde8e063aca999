"""Appointments (notes, reminders, calendar updates) and forms (templates, answers, check-ins, intake).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

import app.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('intake_settings',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('template_key', sa.String(length=40), nullable=True),
    sa.Column('updated_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_intake_settings_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_intake_settings'))
    )
    op.create_table('form_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('template_key', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('next_send_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('request_key', sa.String(length=36), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('stopped_at', app.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_form_schedules_client_id_clients')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_form_schedules_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_form_schedules_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_schedules')),
    sa.UniqueConstraint('workspace_id', 'request_key', name=op.f('uq_form_schedules_workspace_id_request_key'))
    )
    with op.batch_alter_table('form_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_schedules_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_schedules_next_send_at'), ['next_send_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_schedules_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('form_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('request_key', sa.String(length=36), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('archived_at', app.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_form_templates_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_form_templates_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_templates')),
    sa.UniqueConstraint('workspace_id', 'request_key', name=op.f('uq_form_templates_workspace_id_request_key'))
    )
    with op.batch_alter_table('form_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_templates_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('appointment_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('starts_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('due_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('superseded_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('claimed_until', app.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failed_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_appointment_reminders_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_appointment_reminders_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_reminders')),
    sa.UniqueConstraint('appointment_id', 'starts_at', name=op.f('uq_appointment_reminders_appointment_id_starts_at'))
    )
    with op.batch_alter_table('appointment_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_reminders_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_reminders_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_reminders_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('form_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('prompt', sa.String(length=500), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('options_json', sa.Text(), nullable=True),
    sa.Column('scale_min', sa.Integer(), nullable=True),
    sa.Column('scale_max', sa.Integer(), nullable=True),
    sa.Column('min_label', sa.String(length=60), nullable=True),
    sa.Column('max_label', sa.String(length=60), nullable=True),
    sa.ForeignKeyConstraint(['template_id'], ['form_templates.id'], name=op.f('fk_form_questions_template_id_form_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_questions'))
    )
    with op.batch_alter_table('form_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_questions_template_id'), ['template_id'], unique=False)

    op.create_table('form_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('form_request_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=20), nullable=False),
    sa.Column('value', app.db.EncryptedText(), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['form_request_id'], ['form_requests.id'], name=op.f('fk_form_answers_form_request_id_form_requests')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_form_answers_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_answers')),
    sa.UniqueConstraint('form_request_id', 'question_key', name=op.f('uq_form_answers_form_request_id_question_key'))
    )
    with op.batch_alter_table('form_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_answers_form_request_id'), ['form_request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_answers_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('form_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('form_request_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('claimed_until', app.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failed_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['form_request_id'], ['form_requests.id'], name=op.f('fk_form_notices_form_request_id_form_requests')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_form_notices_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_notices')),
    sa.UniqueConstraint('form_request_id', name=op.f('uq_form_notices_form_request_id'))
    )
    with op.batch_alter_table('form_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_notices_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', app.db.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column('request_key', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('updated_at', app.db.UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_appointments_workspace_id_request_key'), ['workspace_id', 'request_key'])

    with op.batch_alter_table('form_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_key', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('questions_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('schedule_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sent_by_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sent_as', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('request_key', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_form_requests_schedule_id'), ['schedule_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_form_requests_schedule_id_sent_at'), ['schedule_id', 'sent_at'])
        batch_op.create_unique_constraint(batch_op.f('uq_form_requests_workspace_id_request_key'), ['workspace_id', 'request_key'])
        batch_op.create_foreign_key(batch_op.f('fk_form_requests_schedule_id_form_schedules'), 'form_schedules', ['schedule_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_form_requests_sent_by_user_id_users'), 'users', ['sent_by_user_id'], ['id'])


def downgrade():
    with op.batch_alter_table('form_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_form_requests_sent_by_user_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_form_requests_schedule_id_form_schedules'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_form_requests_workspace_id_request_key'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_form_requests_schedule_id_sent_at'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_form_requests_schedule_id'))
        batch_op.drop_column('request_key')
        batch_op.drop_column('sent_as')
        batch_op.drop_column('sent_by_user_id')
        batch_op.drop_column('schedule_id')
        batch_op.drop_column('questions_json')
        batch_op.drop_column('template_key')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_appointments_workspace_id_request_key'), type_='unique')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('sequence')
        batch_op.drop_column('request_key')
        batch_op.drop_column('note')

    with op.batch_alter_table('form_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_notices_workspace_id'))

    op.drop_table('form_notices')
    with op.batch_alter_table('form_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_answers_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_form_answers_form_request_id'))

    op.drop_table('form_answers')
    with op.batch_alter_table('form_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_questions_template_id'))

    op.drop_table('form_questions')
    with op.batch_alter_table('appointment_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_reminders_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_appointment_reminders_due_at'))
        batch_op.drop_index(batch_op.f('ix_appointment_reminders_appointment_id'))

    op.drop_table('appointment_reminders')
    with op.batch_alter_table('form_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_templates_workspace_id'))

    op.drop_table('form_templates')
    with op.batch_alter_table('form_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_schedules_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_form_schedules_next_send_at'))
        batch_op.drop_index(batch_op.f('ix_form_schedules_client_id'))

    op.drop_table('form_schedules')
    op.drop_table('intake_settings')
