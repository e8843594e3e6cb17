"""standards: dated regional standards (standard); money as exact numeric(12, 2)

Revision ID: 5e8a2c7d41b9
Revises: 8e4b2c7d19a6
Create Date: 2026-11-30 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e8a2c7d41b9'
down_revision = '8e4b2c7d19a6'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(12, 2)
MONEY_COLUMNS = {
    'benefit': ('monthly_amount', 'standard', 'per_capita_income'),
    'notice': ('proposed_amount',),
}


def _retype(to, frm):
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=frm, type_=to,
                                      postgresql_using=f'round({column}::numeric, 2)'
                                      if to is MONEY else None)


def upgrade():
    op.create_table(
        'standard',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('scheme', sa.String(length=32), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ),
        sa.ForeignKeyConstraint(['region_id'], ['org_unit.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('region_id', 'scheme', 'effective_from',
                            name='uq_standard_region_scheme_from'),
    )
    _retype(MONEY, sa.Double())


def downgrade():
    _retype(sa.Double(), MONEY)
    op.drop_table('standard')
