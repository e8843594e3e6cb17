"""benefit facts (decision inputs kept with a benefit); job unique key (reviews per period)

Revision ID: 3c1f0a9e7b25
Revises: fd12a2ded928
Create Date: 2026-11-24 09:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '3c1f0a9e7b25'
down_revision = 'fd12a2ded928'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('benefit', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'facts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=True))
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unique_key', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint('uq_job_unique_key', ['unique_key'])


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_constraint('uq_job_unique_key', type_='unique')
        batch_op.drop_column('unique_key')
    with op.batch_alter_table('benefit', schema=None) as batch_op:
        batch_op.drop_column('facts')
