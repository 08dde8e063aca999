"""risk alerts: an answer that needs attention, the e-mail to each of the client's staff, the crisis text

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
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
    op.create_table('form_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('form_request_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=20), nullable=False),
    sa.Column('raised_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('acknowledged_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_by_user_id', sa.Integer(), nullable=True),
    sa.Column('acknowledgement_note', app.db.EncryptedText(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_user_id'], ['users.id'],
                            name=op.f('fk_form_alerts_acknowledged_by_user_id_users')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_form_alerts_client_id_clients')),
    sa.ForeignKeyConstraint(['form_request_id'], ['form_requests.id'],
                            name=op.f('fk_form_alerts_form_request_id_form_requests')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_form_alerts_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_alerts')),
    sa.UniqueConstraint('form_request_id', 'question_key', name=op.f('uq_form_alerts_form_request_id_question_key'))
    )
    with op.batch_alter_table('form_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_alerts_acknowledged_at'), ['acknowledged_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_alerts_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_alerts_form_request_id'), ['form_request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_alerts_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('form_alert_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    *[sa.Column(name, kind, nullable=nullable) for name, kind, nullable in OWED_EMAIL_COLUMNS],
    sa.ForeignKeyConstraint(['alert_id'], ['form_alerts.id'], name=op.f('fk_form_alert_emails_alert_id_form_alerts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_form_alert_emails_user_id_users')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                            name=op.f('fk_form_alert_emails_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_alert_emails')),
    sa.UniqueConstraint('alert_id', 'user_id', name=op.f('uq_form_alert_emails_alert_id_user_id'))
    )
    with op.batch_alter_table('form_alert_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_alert_emails_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_alert_emails_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_alert_emails_workspace_id'), ['workspace_id'], unique=False)

    op.add_column('workspaces', sa.Column('crisis_text', sa.Text(), nullable=True))


def downgrade():
    op.execute("ALTER TABLE workspaces DROP COLUMN crisis_text")
    op.drop_table('form_alert_emails')
    op.drop_table('form_alerts')
