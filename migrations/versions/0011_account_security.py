"""account security: profile, e-mail changes, authenticator apps and recovery codes, a half-done sign-in, and
the workspace setting that requires MFA of all staff

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_changed_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('old_email', sa.String(length=320), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('claimed_until', app.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('trying_since', app.db.UTCDateTime(), nullable=True),
    sa.Column('next_attempt_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('sent_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failed_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_changed_notices_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_changed_notices'))
    )
    with op.batch_alter_table('email_changed_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_changed_notices_user_id'), ['user_id'], unique=False)

    op.create_table('email_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('new_email', sa.String(length=320), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('sealed_token', app.db.EncryptedText(), nullable=True),
    sa.Column('expires_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('claimed_until', app.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('trying_since', app.db.UTCDateTime(), nullable=True),
    sa.Column('next_attempt_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('sent_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failed_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_changes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_changes')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_email_changes_token_hash'))
    )
    with op.batch_alter_table('email_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_changes_user_id'), ['user_id'], unique=False)

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', app.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    op.create_table('sign_in_challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_challenges_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_challenges')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_challenges_token_hash'))
    )
    with op.batch_alter_table('sign_in_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_challenges_user_id'), ['user_id'], unique=False)

    op.add_column('users', sa.Column('preferred_name', sa.String(length=60), nullable=True))
    op.add_column('users', sa.Column('phone', app.db.EncryptedText(), nullable=True))
    op.add_column('users', sa.Column('chosen_time_zone', sa.String(length=64), nullable=True))
    op.add_column('users', sa.Column('totp_secret', app.db.EncryptedText(), nullable=True))
    op.add_column('users', sa.Column('mfa_enabled_at', app.db.UTCDateTime(), nullable=True))
    op.add_column('users', sa.Column('totp_last_step', sa.Integer(), nullable=True))

    op.add_column('workspaces', sa.Column('require_staff_mfa', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    op.execute("ALTER TABLE workspaces DROP COLUMN require_staff_mfa")

    op.execute("ALTER TABLE users DROP COLUMN totp_last_step")
    op.execute("ALTER TABLE users DROP COLUMN mfa_enabled_at")
    op.execute("ALTER TABLE users DROP COLUMN totp_secret")
    op.execute("ALTER TABLE users DROP COLUMN chosen_time_zone")
    op.execute("ALTER TABLE users DROP COLUMN phone")
    op.execute("ALTER TABLE users DROP COLUMN preferred_name")

    with op.batch_alter_table('sign_in_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_challenges_user_id'))

    op.drop_table('sign_in_challenges')
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))

    op.drop_table('recovery_codes')
    with op.batch_alter_table('email_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_changes_user_id'))

    op.drop_table('email_changes')
    with op.batch_alter_table('email_changed_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_changed_notices_user_id'))

    op.drop_table('email_changed_notices')
