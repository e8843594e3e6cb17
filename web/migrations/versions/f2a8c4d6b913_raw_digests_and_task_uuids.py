"""raw digests and task uuids: audit_event.hash and audit_chain.last_hash as 32 bytes,
human_task.workflow_task_id as 16 (PostgreSQL uuid, a blob on SQLite)

Revision ID: f2a8c4d6b913
Revises: c3f1a9e07d42
Create Date: 2026-12-01 05:30:00.000000

The engine still reads and writes hex strings and canonical UUID text (engine.store.models
HexDigest, TaskUUID): hashes, chain heads and the root digest are unchanged.
"""
import uuid
import warnings

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f2a8c4d6b913'
down_revision = 'c3f1a9e07d42'
branch_labels = None
depends_on = None

BATCH = 5000
# (table, key column, column, old type, PostgreSQL USING up, USING down)
COLUMNS = [
    ('audit_event', 'id', 'hash', sa.String(length=64),
     "decode(hash, 'hex')", "encode(hash, 'hex')"),
    ('audit_chain', 'chain_id', 'last_hash', sa.String(length=64),
     "decode(last_hash, 'hex')", "encode(last_hash, 'hex')"),
    ('human_task', 'id', 'workflow_task_id', sa.String(length=36),
     "workflow_task_id::uuid", "workflow_task_id::text"),
]
OPEN = sa.text('completed_at IS NULL')
UNANNOUNCED = sa.text('announced_at IS NULL')


def _raw(column: str, value):
    """The stored bytes of a hex digest or a UUID given as text (or already raw)."""
    if isinstance(value, bytes | memoryview):
        value = bytes(value)
        if len(value) in (16, 32):
            return value
        value = value.decode('ascii')
    return uuid.UUID(value).bytes if column == 'workflow_task_id' else bytes.fromhex(value)


def _text(column: str, value):
    """The text again, for the downgrade."""
    if isinstance(value, str):
        return value
    value = bytes(value)
    return str(uuid.UUID(bytes=value)) if column == 'workflow_task_id' else value.hex()


def _convert(table: str, key: str, column: str, how) -> None:
    """Rewrite every value of one column, in batches by key (SQLite)."""
    bind = op.get_bind()
    after = None
    while True:
        where = '' if after is None else f'WHERE {key} > :after '
        rows = bind.execute(sa.text(f'SELECT {key}, {column} FROM {table} {where}'
                                    f'ORDER BY {key} LIMIT {BATCH}'), {'after': after}).all()
        if not rows:
            break
        changed = [{'k': k, 'v': how(column, v)} for k, v in rows if v is not None]
        if changed:
            bind.execute(sa.text(f'UPDATE {table} SET {column} = :v WHERE {key} = :k'), changed)
        after = rows[-1][0]


def _drop_task_indexes() -> None:
    """SQLite's batch copy would lose the expression and partial indexes: drop, then remake."""
    for name in ('ix_human_task_inbox', 'ix_human_task_case', 'ix_human_task_open_due',
                 'ix_human_task_unannounced'):
        op.drop_index(name, table_name='human_task')


def _create_task_indexes() -> None:
    op.create_index('ix_human_task_inbox', 'human_task',
                    ['org_id', 'level', sa.text('(due_at IS NULL)'), 'due_at', 'id'],
                    unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index('ix_human_task_case', 'human_task', ['case_id'], unique=False)
    op.create_index('ix_human_task_open_due', 'human_task', ['due_at'], unique=False,
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index('ix_human_task_unannounced', 'human_task', ['id'], unique=False,
                    postgresql_where=UNANNOUNCED, sqlite_where=UNANNOUNCED)


def _retype(table: str, column: str, old, new) -> None:
    if table == 'human_task':
        _drop_task_indexes()
    with warnings.catch_warnings():  # reflecting human_task for audit_event's foreign key
        warnings.filterwarnings('ignore', 'Skipped unsupported reflection')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=old, type_=new,
                                  existing_nullable=column == 'hash')
    if table == 'human_task':
        _create_task_indexes()


def upgrade():
    for table, *_ in COLUMNS:
        to_raw(table)


def to_raw(table: str, retype: bool = True) -> None:
    """One table's column from text to raw bytes; `retype=False` leaves SQLite's declared
    type as it is (a test converting values in a schema already at the head)."""
    _, key, column, old, up, _ = next(c for c in COLUMNS if c[0] == table)
    if op.get_bind().dialect.name == 'postgresql':
        kind = 'uuid' if column == 'workflow_task_id' else 'bytea'
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind} USING {up}')
        return
    _convert(table, key, column, _raw)  # a TEXT-affinity column keeps a blob as is
    if retype:
        _retype(table, column, old, sa.LargeBinary())


def downgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table, key, column, old, _, down in COLUMNS:
        if postgres:
            op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE '
                       f'varchar({old.length}) USING {down}')
        else:
            _convert(table, key, column, _text)
            _retype(table, column, sa.LargeBinary(), old)
