"""practice locale: how amounts are written for a practice ("$95.00", "95,00 €")

Revision ID: 0026
Revises: 0021
Create Date: 2026-12-03 16:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workspaces') as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=False, server_default='en_US'))


def downgrade():
    with op.batch_alter_table('workspaces') as batch_op:
        batch_op.drop_column('locale')
