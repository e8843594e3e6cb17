"""pages fit rows: PostgreSQL fillfactor from what an update can use, and the unannounced-task
index holds open tasks only

Revision ID: b7d2e4f6a813
Revises: f2a8c4d6b913
Create Date: 2026-12-01 08:40:00.000000

`process_instance` keeps room on its pages for HOT updates: its rows are smaller now (task ids
numbered per workflow compress), so less room holds the same one update per row.
`human_task` gets no HOT update at completion whatever room it has (completing sets
`completed_at`, which the open-task indexes' predicates read), so it is packed full. A task
completed before the announcing pass ran is never announced; the index and the pass's query
leave it out.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7d2e4f6a813'
down_revision = 'f2a8c4d6b913'
branch_labels = None
depends_on = None

# table: (fillfactor, the one before)
FILLFACTOR = {'process_instance': (80, 70), 'human_task': (100, 90)}
UNANNOUNCED_OPEN = sa.text('announced_at IS NULL AND completed_at IS NULL')
UNANNOUNCED = sa.text('announced_at IS NULL')


def _fillfactor(index: int) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, values in FILLFACTOR.items():
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {values[index]})")


def _unannounced(where) -> None:
    op.drop_index('ix_human_task_unannounced', table_name='human_task')
    op.create_index('ix_human_task_unannounced', 'human_task', ['id'], unique=False,
                    postgresql_where=where, sqlite_where=where)


def upgrade():
    _fillfactor(0)
    _unannounced(UNANNOUNCED_OPEN)


def downgrade():
    _unannounced(UNANNOUNCED)
    _fillfactor(1)
