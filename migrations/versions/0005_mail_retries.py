"""mail retries: a passing failure waits for its next try; a link mail keeps its token (encrypted) until sent

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:05:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OWED_EMAILS = ('password_resets', 'portal_invites', 'message_notifications', 'appointment_reminders',
               'form_notices', 'document_notices')
LINK_EMAILS = ('password_resets', 'portal_invites')


def upgrade():
    for table in OWED_EMAILS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('trying_since', app.db.UTCDateTime(), nullable=True))
            batch_op.add_column(sa.Column('next_attempt_at', app.db.UTCDateTime(), nullable=True))
            if table in LINK_EMAILS:
                batch_op.add_column(sa.Column('sealed_token', app.db.EncryptedText(), nullable=True))


def downgrade():
    for table in OWED_EMAILS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table in LINK_EMAILS:
                batch_op.drop_column('sealed_token')
            batch_op.drop_column('next_attempt_at')
            batch_op.drop_column('trying_since')
