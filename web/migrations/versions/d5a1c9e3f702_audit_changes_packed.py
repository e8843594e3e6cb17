"""audit changes packed: audit_event.changes as MessagePack with digests as raw bytes, no
JSON null

Revision ID: d5a1c9e3f702
Revises: b7d2e4f6a813
Create Date: 2026-12-01 19:40:00.000000

An event's changes are mostly a digest (a form's, an application's): 64 hex characters in
JSONB, 110 bytes a `task.completed` event; packed, 63 (engine.store.models.base
PackedChanges). The values the engine reads are the same, so every hash, chain head and the
root digest are unchanged (`yimen audit verify` passes before and after). Events without
changes held a JSON `null`; they hold SQL NULL, which reads back as the same None.
On PostgreSQL the old column's bytes stay in the table until it is rewritten: run
`VACUUM (FULL) audit_event` once after the upgrade, in a quiet hour, to give them back.
"""
import json
import warnings

import sqlalchemy as sa
from alembic import op

from engine.store.models.base import JSONType, PackedChanges

# revision identifiers, used by Alembic.
revision = 'd5a1c9e3f702'
down_revision = 'b7d2e4f6a813'
branch_labels = None
depends_on = None

BATCH = 5000


def _value(stored):
    """The JSON value of a stored `changes`, whichever way it is stored: JSONB (a value
    already), JSON text, or packed bytes (a row written by a newer engine)."""
    if stored is None or isinstance(stored, dict | list):
        return stored
    if isinstance(stored, str):
        return json.loads(stored)
    stored = bytes(stored)
    try:
        return json.loads(stored.decode('utf-8'))
    except ValueError:
        return PackedChanges().process_result_value(stored, None)


def _copy(new_type) -> None:
    """`changes` into `changes_new`, written as `new_type`, in batches."""
    bind = op.get_bind()
    events = sa.table('audit_event', sa.column('id', sa.Integer()),
                      sa.column('changes'), sa.column('changes_new', new_type))
    after = 0
    while True:
        rows = bind.execute(sa.select(events.c.id, events.c.changes)
                            .where(events.c.id > after).order_by(events.c.id)
                            .limit(BATCH)).all()
        if not rows:
            break
        values = [{'k': i, 'v': _value(stored)} for i, stored in rows
                  if _value(stored) is not None]
        if values:
            bind.execute(events.update().where(events.c.id == sa.bindparam('k'))
                         .values(changes_new=sa.bindparam('v', type_=new_type)), values)
        after = rows[-1][0]


def _swap(new_type, column_type) -> None:
    """The column rewritten as `new_type`, declared as `column_type`."""
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.add_column('audit_event', sa.Column('changes_new', column_type, nullable=True))
    if postgres:
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    _copy(new_type)
    if postgres:
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    with warnings.catch_warnings():  # reflecting human_task for audit_event's foreign key
        warnings.filterwarnings('ignore', 'Skipped unsupported reflection')
        with op.batch_alter_table('audit_event', schema=None) as batch_op:
            batch_op.drop_column('changes')
            batch_op.alter_column('changes_new', new_column_name='changes',
                                  existing_type=column_type, existing_nullable=True)


def upgrade():
    _swap(PackedChanges(), sa.LargeBinary())


def downgrade():
    _swap(JSONType, JSONType)
