"""household_exit: the 销号 record of a household that left the roll

Revision ID: b7e3d91c5a20
Revises: a7c3e91d5b20
Create Date: 2026-12-01 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e3d91c5a20'
down_revision = 'a7c3e91d5b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('household_exit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('exited_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('document', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name='fk_household_exit_case_id_case_file'),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name='fk_household_exit_household_id_household'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', name='uq_household_exit_case_id')
    )
    with op.batch_alter_table('household_exit', schema=None) as batch_op:
        batch_op.create_index('ix_household_exit_household', ['household_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('household_exit', schema=None) as batch_op:
        batch_op.drop_index('ix_household_exit_household')
    op.drop_table('household_exit')
