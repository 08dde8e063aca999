"""billing: invoices with lines and tax, payments with attempts and refunds, saved cards, test-mode processor

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 07:35:44.797830

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('processor_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('processor', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('received_at', app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processor_events')),
    sa.UniqueConstraint('processor', 'event_id', name=op.f('uq_processor_events_processor_event_id'))
    )
    op.create_table('test_processor_charges',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('card_id', sa.String(length=40), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decline_message', sa.String(length=255), nullable=True),
    sa.Column('return_url', sa.String(length=2000), nullable=False),
    sa.Column('refunded_minor', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_processor_charges')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_test_processor_charges_idempotency_key'))
    )
    op.create_table('test_processor_customers',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_processor_customers'))
    )
    op.create_table('test_processor_cards',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('behaviour', sa.String(length=20), nullable=False),
    sa.Column('decline_message', sa.String(length=255), nullable=True),
    sa.Column('brand', sa.String(length=20), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('exp_month', sa.Integer(), nullable=False),
    sa.Column('exp_year', sa.Integer(), nullable=False),
    sa.Column('detached', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['test_processor_customers.id'], name=op.f('fk_test_processor_cards_customer_id_test_processor_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_processor_cards'))
    )
    op.create_table('test_processor_refunds',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('charge_id', sa.String(length=40), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['charge_id'], ['test_processor_charges.id'], name=op.f('fk_test_processor_refunds_charge_id_test_processor_charges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_processor_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_test_processor_refunds_idempotency_key'))
    )
    op.create_table('test_processor_setups',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('return_url', sa.String(length=2000), nullable=False),
    sa.Column('card_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['test_processor_customers.id'], name=op.f('fk_test_processor_setups_customer_id_test_processor_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_processor_setups'))
    )
    op.create_table('payment_methods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('processor', sa.String(length=20), nullable=False),
    sa.Column('token', sa.String(length=255), nullable=False),
    sa.Column('setup_reference', sa.String(length=255), nullable=True),
    sa.Column('brand', sa.String(length=40), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('exp_month', sa.Integer(), nullable=False),
    sa.Column('exp_year', sa.Integer(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('removed_at', app.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_payment_methods_client_id_clients')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_payment_methods_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_methods')),
    sa.UniqueConstraint('setup_reference', name=op.f('uq_payment_methods_setup_reference'))
    )
    with op.batch_alter_table('payment_methods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_methods_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_methods_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('processor_customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('processor', sa.String(length=20), nullable=False),
    sa.Column('customer', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_processor_customers_client_id_clients')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_processor_customers_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processor_customers')),
    sa.UniqueConstraint('client_id', 'processor', name=op.f('uq_processor_customers_client_id_processor'))
    )
    with op.batch_alter_table('processor_customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processor_customers_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_processor_customers_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', app.db.EncryptedText(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines'))
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('payment_method_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('refunded_cents', sa.Integer(), nullable=False),
    sa.Column('processor_reference', sa.String(length=255), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('succeeded_at', app.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_payments_client_id_clients')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['payment_method_id'], ['payment_methods.id'], name=op.f('fk_payments_payment_method_id_payment_methods')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_payments_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_payments_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payments_idempotency_key'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_processor_reference'), ['processor_reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('payment_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('decline_message', sa.String(length=255), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_attempts_payment_id_payments')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_payment_attempts_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_attempts'))
    )
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_attempts_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempts_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('processor_reference', sa.String(length=255), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_refunds_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_refunds_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_refunds_idempotency_key'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_workspace_id'), ['workspace_id'], unique=False)

    op.add_column('invoices', sa.Column('is_draft', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('invoices', sa.Column('sent_at', app.db.UTCDateTime(), nullable=True))
    op.add_column('invoices', sa.Column('tax_basis_points', sa.Integer(), nullable=True))
    op.add_column('invoices', sa.Column('tax_cents', sa.Integer(), nullable=True))



def downgrade():
    for column in ('tax_cents', 'tax_basis_points', 'sent_at', 'is_draft'):
        op.drop_column('invoices', column)

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_refunds_payment_id'))

    op.drop_table('refunds')
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_attempts_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_payment_attempts_payment_id'))

    op.drop_table('payment_attempts')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_payments_processor_reference'))
        batch_op.drop_index(batch_op.f('ix_payments_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_payments_client_id'))

    op.drop_table('payments')
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_invoice_id'))

    op.drop_table('invoice_lines')
    with op.batch_alter_table('processor_customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processor_customers_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_processor_customers_client_id'))

    op.drop_table('processor_customers')
    with op.batch_alter_table('payment_methods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_methods_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_payment_methods_client_id'))

    op.drop_table('payment_methods')
    op.drop_table('test_processor_setups')
    op.drop_table('test_processor_refunds')
    op.drop_table('test_processor_cards')
    op.drop_table('test_processor_customers')
    op.drop_table('test_processor_charges')
    op.drop_table('processor_events')
