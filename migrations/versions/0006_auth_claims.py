"""password resets asked for by address; a newer reset link revokes older ones

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', app.db.UTCDateTime(), nullable=True))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_password_resets_email'), ['email'], unique=False)


def downgrade():
    op.execute("DELETE FROM password_resets WHERE user_id IS NULL")
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_email'))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('email')
