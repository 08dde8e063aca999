"""branding: logo, portal welcome and e-mail signature; the getting-started checklist's dismissal

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:30:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('brandings',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('logo_png', sa.LargeBinary(), nullable=True),
    sa.Column('logo_fingerprint', sa.String(length=16), nullable=True),
    sa.Column('logo_width', sa.Integer(), nullable=True),
    sa.Column('logo_height', sa.Integer(), nullable=True),
    sa.Column('portal_welcome', sa.Text(), nullable=True),
    sa.Column('email_signature', sa.Text(), nullable=True),
    sa.Column('updated_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_brandings_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_brandings'))
    )
    op.add_column('workspaces', sa.Column('getting_started_dismissed_at', app.db.UTCDateTime(), nullable=True))


def downgrade():
    op.execute("ALTER TABLE workspaces DROP COLUMN getting_started_dismissed_at")
    op.drop_table('brandings')
