"""staff unread badge: each staff member's unread conversations kept as rows, and their count (backfilled)

Revision ID: 0029
Revises: 0026
Create Date: 2026-12-03 20:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staff_unread',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                                name=op.f('fk_staff_unread_conversation_id_conversations')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_unread_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', 'conversation_id', name=op.f('pk_staff_unread')),
    )
    op.create_index(op.f('ix_staff_unread_conversation_id'), 'staff_unread', ['conversation_id'])
    op.create_table(
        'staff_unread_counts',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('conversations', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_unread_counts_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_staff_unread_counts')),
    )
    # What app/inbox/unread.py keeps: conversations a client wrote in since the staff member last read them,
    # among those they may see (owners and admins: all; practitioners: addressed to them, their care-team
    # clients', or written in by them).
    op.execute(
        "INSERT INTO staff_unread (user_id, conversation_id)"
        " SELECT users.id, conversations.id FROM conversations"
        " JOIN users ON users.workspace_id = conversations.workspace_id AND users.client_id IS NULL"
        " LEFT JOIN staff_readings ON staff_readings.conversation_id = conversations.id"
        "  AND staff_readings.user_id = users.id"
        " WHERE conversations.last_client_message_at IS NOT NULL"
        " AND (staff_readings.last_read_at IS NULL"
        "  OR conversations.last_client_message_at > staff_readings.last_read_at)"
        " AND (users.role IN ('owner', 'admin') OR conversations.staff_user_id = users.id"
        "  OR EXISTS (SELECT 1 FROM conversation_clients JOIN care_team"
        "   ON care_team.client_id = conversation_clients.client_id"
        "   WHERE conversation_clients.conversation_id = conversations.id AND care_team.user_id = users.id)"
        "  OR EXISTS (SELECT 1 FROM messages WHERE messages.conversation_id = conversations.id"
        "   AND messages.sender_id = users.id))"
    )
    op.execute("INSERT INTO staff_unread_counts (user_id, conversations)"
               " SELECT user_id, count(*) FROM staff_unread GROUP BY user_id")


def downgrade():
    op.drop_table('staff_unread_counts')
    op.drop_index(op.f('ix_staff_unread_conversation_id'), table_name='staff_unread')
    op.drop_table('staff_unread')
