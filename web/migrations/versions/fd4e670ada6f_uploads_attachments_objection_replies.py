"""uploads: attachments kept in the database with their case; objection replies

Files move from a folder into the table `attachment`, so that they commit with the form that
names them (a refused form leaves nothing) and every worker sees them. Objections gain the
official's reply.

Revision ID: fd4e670ada6f
Revises: 3c1f0a9e7b25
Create Date: 2026-11-30 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fd4e670ada6f'
down_revision = '3c1f0a9e7b25'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachment',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_case_id'), ['case_id'], unique=False)
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('replied_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_objection_replied_by_id_user_account', 'user_account',
                                    ['replied_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.drop_constraint('fk_objection_replied_by_id_user_account', type_='foreignkey')
        batch_op.drop_column('replied_by_id')
        batch_op.drop_column('replied_at')
        batch_op.drop_column('reply')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_case_id'))
    op.drop_table('attachment')
