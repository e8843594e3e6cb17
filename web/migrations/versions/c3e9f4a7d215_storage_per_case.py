"""storage per case: forms kept once (audit keeps the digest), one inbox index matching its
order, no unique on the 36-character workflow task id, audit events indexed by case alone,
applications kept zlib-compressed, workflow states compressed against
their case's application, PostgreSQL fillfactor and autovacuum

Revision ID: c3e9f4a7d215
Revises: e5b1c7a9d3f2
Create Date: 2026-12-01 04:30:00.000000

Existing `task.completed` events held the submitted form, also kept in `human_task.data`.
Their changes become `engine.store.audit.legacy_completed(form)` where the form equals the
task's; `verify` hashes such an event with the task's form, so hashes, chain heads and the
root digest kept outside the database are unchanged. An event whose form differs from the
task's is left as it was (and still verifies by its own content).
"""
import json
import zlib

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from engine.store.audit import legacy_completed
from engine.store.canonical import canonical as _canonical
from engine.store.models.base import PackedJSON
from engine.workflow.spiff.storage import compress, decompress

# revision identifiers, used by Alembic.
revision = 'c3e9f4a7d215'
down_revision = 'e5b1c7a9d3f2'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
OPEN = sa.text('completed_at IS NULL')
BATCH = 2000
# Rewritten in place between vacuums: room on the page for HOT updates, and vacuumed after
# a small share of dead rows rather than the default 20 %.
TUNED = {
    'process_instance': "fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, "
                        "autovacuum_vacuum_threshold = 100, autovacuum_vacuum_cost_delay = 0, "
                        "toast_tuple_target = 4080",
    'human_task': "fillfactor = 90, autovacuum_vacuum_scale_factor = 0.05, "
                  "autovacuum_vacuum_threshold = 100, autovacuum_vacuum_cost_delay = 0",
    'audit_chain': "fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, "
                   "autovacuum_vacuum_threshold = 100, autovacuum_vacuum_cost_delay = 0",
}


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.drop_index('ix_human_task_inbox', table_name='human_task')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_constraint('uq_human_task_workflow_task', type_='unique')
    op.create_index('ix_human_task_inbox', 'human_task',
                    ['org_id', 'level', sa.text('(due_at IS NULL)'), 'due_at', 'id'],
                    unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
    op.drop_index('ix_audit_event_case', table_name='audit_event')
    op.create_index('ix_audit_event_case', 'audit_event', ['case_id'], unique=False)
    _keep_forms_once(postgres)
    _pack_applications(postgres)
    _recompress_states()
    if postgres:
        for table, options in TUNED.items():
            op.execute(f"ALTER TABLE {table} SET ({options})")
        # already zlib-compressed: kept inline, not compressed again
        op.execute("ALTER TABLE process_instance ALTER COLUMN state SET STORAGE MAIN")


def _keep_forms_once(postgres: bool) -> None:
    """Replace the form in older `task.completed` events by its digest (see the docstring)."""
    bind = op.get_bind()
    events = sa.table('audit_event', sa.column('id', sa.Integer()),
                      sa.column('task_id', sa.Integer()), sa.column('action', sa.String()),
                      sa.column('changes', JSON))
    tasks = sa.table('human_task', sa.column('id', sa.Integer()), sa.column('data', JSON))
    if postgres:
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    after = 0
    while True:
        rows = bind.execute(
            sa.select(events.c.id, events.c.changes, tasks.c.data)
            .join(tasks, tasks.c.id == events.c.task_id)
            .where(events.c.action == 'task.completed', events.c.id > after)
            .order_by(events.c.id).limit(BATCH)).all()
        if not rows:
            break
        for event_id, changes, form in rows:
            if _holds_form(changes, form):
                bind.execute(events.update().where(events.c.id == event_id)
                             .values(changes=legacy_completed(form)))
        after = rows[-1][0]
    if postgres:
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")


def _recompress_states() -> None:
    """States stored before: the same JSON, compressed against the case's application."""
    bind = op.get_bind()
    states, cases = _state_tables(PackedJSON())
    after = 0
    while True:
        rows = bind.execute(
            sa.select(states.c.id, states.c.state, cases.c.application)
            .join(cases, cases.c.id == states.c.case_id)
            .where(states.c.id > after).order_by(states.c.id).limit(BATCH)).all()
        if not rows:
            break
        for instance_id, state, application in rows:
            blob = bytes(state)
            if blob and isinstance(application, dict):
                bind.execute(states.update().where(states.c.id == instance_id)
                             .values(state=compress(decompress(blob), application)))
        after = rows[-1][0]


def _pack_applications(postgres: bool) -> None:
    """case_file.application from JSON to zlib-compressed JSON (engine PackedJSON)."""
    bind = op.get_bind()
    if postgres:
        op.execute("ALTER TABLE case_file ALTER COLUMN application TYPE bytea "
                   "USING convert_to(application::text, 'UTF8')")
    after = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, application FROM case_file WHERE id > :after "
                                    "ORDER BY id LIMIT :n"), {"after": after, "n": BATCH}).all()
        if not rows:
            break
        for case_id, raw in rows:
            text = bytes(raw).decode("utf-8") if isinstance(raw, bytes | memoryview) else raw
            bind.execute(sa.text("UPDATE case_file SET application = :packed WHERE id = :id"),
                         {"packed": PackedJSON().process_bind_param(json.loads(text), None),
                          "id": case_id})
        after = rows[-1][0]


def _unpack_applications(postgres: bool) -> None:
    """For the downgrade: JSON text again (JSONB on PostgreSQL)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, application FROM case_file")).all()
    for case_id, raw in rows:
        value = PackedJSON().process_result_value(raw, None)
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        bind.execute(sa.text("UPDATE case_file SET application = :v WHERE id = :id"),
                     {"v": text.encode("utf-8") if postgres else text, "id": case_id})
    if postgres:
        op.execute("ALTER TABLE case_file ALTER COLUMN application TYPE jsonb "
                   "USING convert_from(application, 'UTF8')::jsonb")


def _plain_states() -> None:
    """For the downgrade: states compressed without a dictionary, as before."""
    bind = op.get_bind()
    states, cases = _state_tables(PackedJSON())
    rows = bind.execute(sa.select(states.c.id, states.c.state, cases.c.application)
                        .join(cases, cases.c.id == states.c.case_id)).all()
    for instance_id, state, application in rows:
        if state:
            bind.execute(states.update().where(states.c.id == instance_id)
                         .values(state=zlib.compress(decompress(bytes(state), application), 6)))


def _state_tables(application) -> tuple[sa.TableClause, sa.TableClause]:
    states = sa.table('process_instance', sa.column('id', sa.Integer()),
                      sa.column('case_id', sa.Integer()), sa.column('state', sa.LargeBinary()))
    cases = sa.table('case_file', sa.column('id', sa.Integer()),
                     sa.column('application', application))
    return states, cases


def _holds_form(changes, form) -> bool:
    return (isinstance(changes, dict) and isinstance(form, dict)
            and 'data_sha256' not in changes and _canonical(changes) == _canonical(form))


def downgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        for table in TUNED:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor, autovacuum_vacuum_scale_factor, "
                       "autovacuum_vacuum_threshold, autovacuum_vacuum_cost_delay"
                       f"{', toast_tuple_target' if table == 'process_instance' else ''})")
        op.execute("ALTER TABLE process_instance ALTER COLUMN state SET STORAGE EXTENDED")
    _put_forms_back(postgres)
    _plain_states()
    _unpack_applications(postgres)
    op.drop_index('ix_audit_event_case', table_name='audit_event')
    op.create_index('ix_audit_event_case', 'audit_event', ['case_id', 'at'], unique=False)
    op.drop_index('ix_human_task_inbox', table_name='human_task')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_human_task_workflow_task', ['workflow_task_id'])
    op.create_index('ix_human_task_inbox', 'human_task', ['org_id', 'level', 'due_at'],
                    unique=False, postgresql_where=OPEN, sqlite_where=OPEN)


def _put_forms_back(postgres: bool) -> None:
    """Events the upgrade converted hold their form again; later ones keep their digest."""
    bind = op.get_bind()
    events = sa.table('audit_event', sa.column('id', sa.Integer()),
                      sa.column('task_id', sa.Integer()), sa.column('action', sa.String()),
                      sa.column('changes', JSON))
    tasks = sa.table('human_task', sa.column('id', sa.Integer()), sa.column('data', JSON))
    if postgres:
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    rows = bind.execute(sa.select(events.c.id, events.c.changes, tasks.c.data)
                        .join(tasks, tasks.c.id == events.c.task_id)
                        .where(events.c.action == 'task.completed')).all()
    for event_id, changes, form in rows:
        if isinstance(changes, dict) and changes.get('hashed_with_data'):
            bind.execute(events.update().where(events.c.id == event_id).values(changes=form))
    if postgres:
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
