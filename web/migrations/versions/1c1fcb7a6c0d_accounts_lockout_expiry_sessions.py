"""accounts: login failures (lockout), token expiry, must-change password, session version

Existing users must change their password at next sign-in (they were set without a strength
rule); existing tokens expire 30 days after they were issued.

Revision ID: 1c1fcb7a6c0d
Revises: 5e8a2c7d41b9
Create Date: 2026-11-30 21:30:00

"""
from datetime import UTC, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1c1fcb7a6c0d'
down_revision = '5e8a2c7d41b9'
branch_labels = None
depends_on = None


def _expire_existing_tokens():
    """expires_at = created_at + 30 days, computed in Python so both databases agree."""
    conn = op.get_bind()
    token = sa.table('api_token', sa.column('id', sa.Integer),
                     sa.column('created_at', sa.DateTime(timezone=True)),
                     sa.column('expires_at', sa.DateTime(timezone=True)))
    for row_id, created in conn.execute(sa.select(token.c.id, token.c.created_at)).all():
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        conn.execute(token.update().where(token.c.id == row_id)
                     .values(expires_at=created + timedelta(days=30)))


def upgrade():
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_username'), ['username'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_at'), ['at'], unique=False)
    # Plain ADD COLUMN (SQLite supports it with a constant default): a batch copy of
    # user_account would have to drop a table that other rows reference.
    op.add_column('user_account', sa.Column('must_change_password', sa.Boolean(),
                                            nullable=False, server_default=sa.true()))
    op.add_column('user_account', sa.Column('session_version', sa.Integer(), nullable=False,
                                            server_default='1'))
    op.add_column('user_account', sa.Column('password_changed_at', sa.DateTime(timezone=True),
                                            nullable=True))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    _expire_existing_tokens()
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True),
                              nullable=False)


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    op.drop_column('user_account', 'password_changed_at')
    op.drop_column('user_account', 'session_version')
    op.drop_column('user_account', 'must_change_password')
    op.drop_table('login_failure')
