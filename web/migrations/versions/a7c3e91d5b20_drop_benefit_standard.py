"""benefits: drop benefit.standard, written on every row but read by nothing

The standard a top-up was worked out against is the regional standard in force on the row's
effective date (table standard), which is where statistics and recalculation read it.

Revision ID: a7c3e91d5b20
Revises: b7d3e5a1c924
Create Date: 2026-12-01 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e91d5b20'
down_revision = 'b7d3e5a1c924'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('benefit', schema=None) as batch_op:
        batch_op.drop_column('standard')


def downgrade():
    with op.batch_alter_table('benefit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standard', sa.Numeric(12, 2), nullable=True))
