"""job chunks: slices of a bulk job that several workers claim with SKIP LOCKED

Revision ID: e5b1c7a9d3f2
Revises: d3a7f0c2b815
Create Date: 2026-12-01 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b1c7a9d3f2'
down_revision = 'd3a7f0c2b815'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_chunk',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('first_id', sa.Integer(), nullable=False),
        sa.Column('last_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['job_id'], ['job.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_job_chunk_pending', 'job_chunk', ['job_id', 'id'], unique=False,
                    postgresql_where=sa.text("status = 'pending'"),
                    sqlite_where=sa.text("status = 'pending'"))


def downgrade():
    op.drop_index('ix_job_chunk_pending', table_name='job_chunk',
                  postgresql_where=sa.text("status = 'pending'"),
                  sqlite_where=sa.text("status = 'pending'"))
    op.drop_table('job_chunk')
