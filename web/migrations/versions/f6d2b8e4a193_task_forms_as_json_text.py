"""task forms as JSON text: human_task.data is json, not jsonb, on PostgreSQL

Revision ID: f6d2b8e4a193
Revises: e4c7a2b9d815
Create Date: 2026-12-02 00:30:00.000000

A submitted form is written once, read whole and never queried inside, so JSONB's binary
form buys nothing and costs bytes: the Linzi village evaluation's form is 252 bytes as JSONB
and 199 as the compact text the engine writes (engine.store.db._json), about 80 bytes less
per running case. Forms already stored keep the spacing JSONB printed them with (`", "`,
`": "`) until rewritten; their values, and so their digests in the audit trail, are the
same. SQLite kept JSON text already: nothing changes there.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f6d2b8e4a193'
down_revision = 'e4c7a2b9d815'
branch_labels = None
depends_on = None


def _retype(kind: str) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"ALTER TABLE human_task ALTER COLUMN data TYPE {kind} USING data::{kind}")


def upgrade():
    _retype('json')


def downgrade():
    _retype('jsonb')
