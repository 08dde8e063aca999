"""invoices made once per form post (request key), and the e-mail that tells a client an invoice was sent

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_key', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_invoices_workspace_id_request_key'),
                                          ['workspace_id', 'request_key'])
    op.create_table('invoice_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('claimed_until', app.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('trying_since', app.db.UTCDateTime(), nullable=True),
    sa.Column('next_attempt_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('sent_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failed_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_notices_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                            name=op.f('fk_invoice_notices_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_notices')),
    sa.UniqueConstraint('invoice_id', name=op.f('uq_invoice_notices_invoice_id'))
    )
    with op.batch_alter_table('invoice_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_notices_workspace_id'), ['workspace_id'], unique=False)


def downgrade():
    with op.batch_alter_table('invoice_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_notices_workspace_id'))
    op.drop_table('invoice_notices')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_invoices_workspace_id_request_key'), type_='unique')
        batch_op.drop_column('request_key')
