"""paged lists: indexes for the keyset pages of the inbox, a client's appointments, forms and documents, the outbox

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 15:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_conversations_workspace_id_last_message_at', 'conversations', ['workspace_id', 'last_message_at', 'id']),
    ('ix_appointments_client_id_starts_at', 'appointments', ['client_id', 'starts_at', 'id']),
    ('ix_form_requests_client_id_sent_at', 'form_requests', ['client_id', 'sent_at', 'id']),
    ('ix_documents_client_id_origin_created_at', 'documents', ['client_id', 'origin', 'created_at', 'id']),
    ('ix_outbox_emails_workspace_id_id', 'outbox_emails', ['workspace_id', 'id']),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
