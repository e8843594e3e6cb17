"""form drafts: an official's unsubmitted task or intake form, kept for them alone

Revision ID: d3a7f0c2b815
Revises: a4d7e2f91c3b
Create Date: 2026-12-01 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'd3a7f0c2b815'
down_revision = 'a4d7e2f91c3b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_draft',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('form_key', sa.String(length=200), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                 'postgresql'), nullable=False),
        sa.Column('comment', sa.String(length=2000), nullable=False),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'form_key', name='uq_form_draft_user_form'),
    )
    with op.batch_alter_table('form_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_draft_task_id'), ['task_id'], unique=False)


def downgrade():
    with op.batch_alter_table('form_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_draft_task_id'))
    op.drop_table('form_draft')
