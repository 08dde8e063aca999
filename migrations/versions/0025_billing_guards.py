"""billing guards: one card payment in flight or made per invoice, so two tabs cannot pay one invoice twice

Revision ID: 0025
Revises: 0020
Create Date: 2026-12-03 15:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0020'
branch_labels = None
depends_on = None

IN_FLIGHT_OR_MADE = "method = 'card' AND status IN ('pending', 'requires_action', 'succeeded')"


def upgrade():
    op.create_index('uq_payments_card_per_invoice', 'payments', ['invoice_id'], unique=True,
                    sqlite_where=sa.text(IN_FLIGHT_OR_MADE), postgresql_where=sa.text(IN_FLIGHT_OR_MADE))


def downgrade():
    op.drop_index('uq_payments_card_per_invoice', table_name='payments')
