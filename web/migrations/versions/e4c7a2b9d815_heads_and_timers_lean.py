"""heads and timers lean: audit_chain pages packed full (PostgreSQL fillfactor 100), and the
timer index holds only instances that wait on a timer

Revision ID: e4c7a2b9d815
Revises: d5a1c9e3f702
Create Date: 2026-12-02 00:30:00.000000

A case's chain head is rewritten at every event of the case, always as a HOT update (no
indexed column changes). Pages kept 30 % empty for those updates (fillfactor 70) were
pruned later, not sooner: 1,000 running cases walked as bench/storage.py walks them left the
table at 221 KB with fillfactor 70 and 82 KB with 100 (its unique index 41 KB either way).
A full page is pruned when an update finds no room on it, and the head's old versions are
what that pruning gives back. Pages written before keep their layout until the table is
rewritten (`VACUUM (FULL) audit_chain`, optional).

`ix_process_instance_next_timer` indexed every instance, NULL included, and took a new entry
at every non-HOT update of the state; only instances waiting on a notice's timer are ever
looked up through it (`next_timer_at <= now`, which implies NOT NULL on both databases).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e4c7a2b9d815'
down_revision = 'd5a1c9e3f702'
branch_labels = None
depends_on = None

WAITING = sa.text('next_timer_at IS NOT NULL')


def _fillfactor(value: int) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"ALTER TABLE audit_chain SET (fillfactor = {value})")


def _timer_index(where) -> None:
    op.drop_index('ix_process_instance_next_timer', table_name='process_instance')
    op.create_index('ix_process_instance_next_timer', 'process_instance', ['next_timer_at'],
                    unique=False, postgresql_where=where, sqlite_where=where)


def upgrade():
    _fillfactor(100)
    _timer_index(WAITING)


def downgrade():
    _timer_index(None)
    _fillfactor(70)
