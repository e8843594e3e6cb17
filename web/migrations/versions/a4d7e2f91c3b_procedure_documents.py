"""procedure documents: a bundle's print templates and region facts, kept with each version

Revision ID: a4d7e2f91c3b
Revises: b7e3d91c5a20
Create Date: 2026-12-01 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'a4d7e2f91c3b'
down_revision = 'b7e3d91c5a20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('procedure_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'documents',
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=True))


def downgrade():
    with op.batch_alter_table('procedure_version', schema=None) as batch_op:
        batch_op.drop_column('documents')
