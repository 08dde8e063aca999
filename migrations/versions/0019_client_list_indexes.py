"""client list at a large practice: a name index for keyset pages, trigram indexes for search (PostgreSQL)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 07:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_clients_workspace_name', 'clients', ['workspace_id', 'last_name', 'first_name', 'id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_clients_search_trgm ON clients USING gin "
                   "((first_name || ' ' || last_name || ' ' || coalesce(email, '')) gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_clients_search_trgm")
    op.drop_index('ix_clients_workspace_name', table_name='clients')
