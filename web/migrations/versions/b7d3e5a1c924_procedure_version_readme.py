"""procedure_version.readme: the bundle's README.md as deployed (its assumptions)

Revision ID: b7d3e5a1c924
Revises: b7d3e91a4c52
Create Date: 2026-12-01 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d3e5a1c924'
down_revision = 'b7d3e91a4c52'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('procedure_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('readme', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('procedure_version', schema=None) as batch_op:
        batch_op.drop_column('readme')
