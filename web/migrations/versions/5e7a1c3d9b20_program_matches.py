"""program matches: support programs a household's members qualify for (Jiangmen 自动匹配)

Revision ID: 5e7a1c3d9b20
Revises: 1c1fcb7a6c0d
Create Date: 2026-12-01 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7a1c3d9b20'
down_revision = '1c1fcb7a6c0d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('program_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('program', sa.String(length=100), nullable=False),
    sa.Column('basis', sa.String(length=200), nullable=False),
    sa.Column('member_name', sa.String(length=100), nullable=False),
    sa.Column('member_id_number', sa.String(length=18), nullable=False),
    sa.Column('decision', sa.String(length=100), nullable=False),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name='fk_program_match_case_id'),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'],
                            name='fk_program_match_household_id'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('program_match', schema=None) as batch_op:
        batch_op.create_index('ix_program_match_case', ['case_id'], unique=False)
        batch_op.create_index('ix_program_match_household', ['household_id'], unique=False)
        batch_op.create_index('ix_program_match_program', ['program'], unique=False)


def downgrade():
    with op.batch_alter_table('program_match', schema=None) as batch_op:
        batch_op.drop_index('ix_program_match_program')
        batch_op.drop_index('ix_program_match_household')
        batch_op.drop_index('ix_program_match_case')
    op.drop_table('program_match')
