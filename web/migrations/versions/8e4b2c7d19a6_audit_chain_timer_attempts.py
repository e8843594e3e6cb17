"""audit hash chain (audit_event.hash, audit_chain heads, PG append-only trigger);
timer attempts and last error on process_instance

Revision ID: 8e4b2c7d19a6
Revises: fd4e670ada6f
Create Date: 2026-11-30 21:30:00

Events already present are chained here, in id order per case (and one chain for events
without a case), with engine.store.audit's hash, so an upgraded database verifies clean.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from engine.store.audit import GENESIS, NO_CASE, event_hash
from engine.store.models import UTCDateTime


revision = '8e4b2c7d19a6'
down_revision = 'fd4e670ada6f'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP;
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timer_attempts', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('timer_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('timer_failed_at', UTCDateTime(), nullable=True))
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    op.create_table(
        'audit_chain',
        sa.Column('chain_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.Column('last_event_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('chain_id'),
    )
    _chain_existing_events()
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY)
        op.execute("CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")


def _chain_existing_events():
    bind = op.get_bind()
    events = sa.table(
        'audit_event', sa.column('id', sa.Integer()), sa.column('at', UTCDateTime()),
        sa.column('actor_id', sa.Integer()), sa.column('actor_name', sa.String()),
        sa.column('case_id', sa.Integer()), sa.column('task_id', sa.Integer()),
        sa.column('step', sa.String()), sa.column('action', sa.String()),
        sa.column('comment', sa.Text()), sa.column('changes', JSON),
        sa.column('hash', sa.String()))
    heads = sa.table('audit_chain', sa.column('chain_id', sa.Integer()),
                     sa.column('last_hash', sa.String()), sa.column('last_event_id', sa.Integer()))
    last: dict[int, tuple[str, int]] = {}
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        chain = row['case_id'] or NO_CASE
        fields = {k: row[k] for k in ('at', 'actor_id', 'actor_name', 'case_id', 'task_id',
                                      'step', 'action', 'comment', 'changes')}
        digest = event_hash(fields, last.get(chain, (GENESIS, 0))[0])
        bind.execute(events.update().where(events.c.id == row['id']).values(hash=digest))
        last[chain] = (digest, row['id'])
    if last:
        bind.execute(heads.insert(), [{'chain_id': c, 'last_hash': h, 'last_event_id': i}
                                      for c, (h, i) in last.items()])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    op.drop_table('audit_chain')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('hash')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('timer_failed_at')
        batch_op.drop_column('timer_error')
        batch_op.drop_column('timer_attempts')
