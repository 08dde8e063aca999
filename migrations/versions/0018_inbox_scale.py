"""inbox at scale: indexes for visibility and conversations, the last client message time on a conversation

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-03 07:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_messages_sender_id_conversation_id', 'messages', ['sender_id', 'conversation_id'])
    op.create_index('ix_messages_conversation_id_created_at', 'messages', ['conversation_id', 'created_at'])
    op.create_index('ix_care_team_user_id_client_id', 'care_team', ['user_id', 'client_id'])
    op.add_column('conversations', sa.Column('last_client_message_at', app.db.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE conversations SET last_client_message_at = ("
        " SELECT max(messages.created_at) FROM messages JOIN users ON users.id = messages.sender_id"
        " WHERE messages.conversation_id = conversations.id AND users.client_id IS NOT NULL)"
    )


def downgrade():
    op.drop_column('conversations', 'last_client_message_at')
    op.drop_index('ix_care_team_user_id_client_id', table_name='care_team')
    op.drop_index('ix_messages_conversation_id_created_at', table_name='messages')
    op.drop_index('ix_messages_sender_id_conversation_id', table_name='messages')
