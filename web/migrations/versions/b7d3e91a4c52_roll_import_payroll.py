"""roll import, household payees, confirmed payrolls (issue 14, points 4 and 5)

Revision ID: b7d3e91a4c52
Revises: c7e3a1d5b902
Create Date: 2026-12-01 01:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d3e91a4c52'
down_revision = 'c7e3a1d5b902'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'roll_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('households', sa.Integer(), nullable=False),
        sa.Column('persons', sa.Integer(), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('imported_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['region_id'], ['org_unit.id']),
        sa.ForeignKeyConstraint(['imported_by_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'household_payee',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('bank_account', sa.String(length=40), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['household_id'], ['household.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('household_id'),
    )
    op.create_table(
        'payroll',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('households', sa.Integer(), nullable=False),
        sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['region_id'], ['org_unit.id']),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('region_id', 'month', name='uq_payroll_region_month'),
    )
    op.create_table(
        'payroll_row',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payroll_id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('org_path', sa.String(length=400), nullable=False),
        sa.Column('village_code', sa.String(length=32), nullable=False),
        sa.Column('village_name', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('id_number_masked', sa.String(length=18), nullable=False),
        sa.Column('account', sa.String(length=40), nullable=False),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('previous_amount', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('change', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['payroll_id'], ['payroll.id']),
        sa.ForeignKeyConstraint(['household_id'], ['household.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('payroll_row', schema=None) as batch_op:
        batch_op.create_index('ix_payroll_row_payroll', ['payroll_id', 'org_path'], unique=False,
                              postgresql_ops={'org_path': 'varchar_pattern_ops'})


def downgrade():
    with op.batch_alter_table('payroll_row', schema=None) as batch_op:
        batch_op.drop_index('ix_payroll_row_payroll',
                            postgresql_ops={'org_path': 'varchar_pattern_ops'})
    op.drop_table('payroll_row')
    op.drop_table('payroll')
    op.drop_table('household_payee')
    op.drop_table('roll_import')
