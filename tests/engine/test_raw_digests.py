"""Digests kept as 32 raw bytes and task UUIDs as 16, while the engine sees hex and UUID text:
the chain verifies, completion finds its SpiffWorkflow task, and the migration converts
rows stored as text (and back) without changing a hash or the root digest."""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from sqlalchemy import select, text

from engine.casework import tasks
from engine.store import audit
from engine.store.models import (
    AuditChain,
    AuditEvent,
    Case,
    HexDigest,
    HumanTask,
    PackedJSON,
    TaskUUID,
)
from tests.engine.test_audit_chain import T0, world  # noqa: F401
from tests.factories import WORKER, open_task, valid_step_data
from web.extensions import db as flask_db

HEX64 = re.compile(r"[0-9a-f]{64}")


def _stored_lengths(db, table: str, column: str) -> set[int]:
    size = "octet_length" if db.get_bind().dialect.name == "postgresql" else "length"
    return set(db.scalars(text(f"SELECT {size}({column}) FROM {table}")))


def test_hashes_are_stored_raw_and_read_as_hex(world):  # noqa: F811
    db = world.db
    assert _stored_lengths(db, "audit_event", "hash") == {32}
    assert _stored_lengths(db, "audit_chain", "last_hash") == {32}
    hashes = db.scalars(select(AuditEvent.hash)).all()
    assert hashes and all(HEX64.fullmatch(h) for h in hashes)
    heads = db.scalars(select(AuditChain.last_hash)).all()
    assert set(heads) <= set(hashes)
    result = audit.verify(db)
    assert result.ok, result.problem


def test_task_uuids_are_stored_in_16_bytes_and_completion_finds_the_task(world):  # noqa: F811
    db = world.db
    if db.get_bind().dialect.name == "postgresql":
        assert set(db.scalars(text("SELECT pg_typeof(workflow_task_id)::text "
                                   "FROM human_task"))) == {"uuid"}
        assert set(db.scalars(text("SELECT pg_column_size(workflow_task_id) "
                                   "FROM human_task"))) == {16}
    else:
        assert _stored_lengths(db, "human_task", "workflow_task_id") == {16}
    ids = db.scalars(select(HumanTask.workflow_task_id)).all()
    assert all(str(UUID(i)) == i for i in ids)
    case_id = db.scalars(select(HumanTask.case_id)).first()
    task = open_task(db, case_id)
    assert db.scalar(select(HumanTask.id).where(
        HumanTask.workflow_task_id == task.workflow_task_id)) == task.id
    tasks.complete(db, world.user(WORKER[task.step]), task.id,
                   valid_step_data(task.form_key), now=task.created_at)
    assert db.get(HumanTask, task.id).completed_at is not None
    assert audit.verify(db).ok


@pytest.mark.parametrize(("kind", "bad"), [(HexDigest, "xyz"), (TaskUUID, "bench-1")])
def test_a_value_that_is_not_hex_or_a_uuid_is_refused(kind, bad):
    class Dialect:
        name = "sqlite"

    with pytest.raises(ValueError):
        kind().process_bind_param(bad, Dialect())


def test_a_real_upgrade_converts_text_rows_and_the_downgrade_restores_them(tmp_path):
    from flask_migrate import downgrade, upgrade

    from web import create_app

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "t"})
    directory = app.extensions["migrate"].directory
    task_uuid = "5c0e4b9a-3f1d-4e8a-9b6c-2d7f1a0e8c43"
    with app.app_context():
        upgrade(directory=directory, revision="c3e9f4a7d215")
        session = flask_db.session
        _old_rows(session, task_uuid)
        session.commit()
        before = audit.verify(session)
        assert before.ok, before.problem
        old = _raw_rows(session)
        assert all(isinstance(h, str) and len(h) == 64 for h in old["hash"])
        upgrade(directory=directory)
        assert all(len(bytes(h)) == 32 for h in _raw_rows(session)["hash"])
        assert _raw_rows(session)["uuid"] == [UUID(task_uuid).bytes]
        after = audit.verify(session)
        assert (after.ok, after.root, after.events) == (True, before.root, before.events)
        assert session.scalars(select(HumanTask.workflow_task_id)).all() == [task_uuid]
        indexes = set(session.scalars(text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'human_task'")))
        assert {"ix_human_task_inbox", "ix_human_task_case", "ix_human_task_open_due",
                "ix_human_task_unannounced"} <= indexes
        session.commit()
        downgrade(directory=directory, revision="c3e9f4a7d215")
        assert _raw_rows(session) == old
        session.remove()


def _old_rows(session, task_uuid: str) -> None:
    """A case with a task and audit events, as stored at the previous head."""
    session.execute(text("INSERT INTO org_unit (id, code, name, level, path) "
                         "VALUES (1, 'D9', '旧区', 'district', '/D9/')"))
    session.execute(text(
        "INSERT INTO procedure_version (id, key, name, region_id, version, bpmn, dmn, forms, "
        "start_form, deployed_at) VALUES (1, 'p', 'p', 1, 1, '{}', '{}', '{}', 'f', "
        "'2026-01-05 01:00:00.000000')"))
    session.execute(text(
        "INSERT INTO case_file (id, procedure_version_id, village_id, org_path, status, "
        "applicant_name, household_size, application, opened_at) VALUES "
        "(1, 1, 1, '/D9/', 'running', '张三', 1, :app, '2026-01-05 02:00:00.000000')"),
        {"app": PackedJSON().process_bind_param({}, None)})
    session.execute(text(
        "INSERT INTO human_task (id, case_id, workflow_task_id, step, name, form_key, level, "
        "org_id, created_at, version) VALUES (1, 1, :u, 's', 's', 'f', 'district', 1, "
        "'2026-01-05 02:00:00.000000', 1)"), {"u": task_uuid})
    case = session.get(Case, 1)
    for on, action, changes in [(None, "procedure.deployed", {"key": "p"}),
                                (case, "case.opened", {"application": {}}),
                                (case, "case.extended", None)]:
        audit.record(session, T0, None, action, case=on, changes=changes)
    session.commit()
    for table, column in [("audit_event", "hash"), ("audit_chain", "last_hash")]:
        session.execute(text(f"UPDATE {table} SET {column} = lower(hex({column}))"))


def _raw_rows(session) -> dict[str, list]:
    return {"hash": session.scalars(text("SELECT hash FROM audit_event ORDER BY id")).all()
            + session.scalars(text("SELECT last_hash FROM audit_chain ORDER BY chain_id")).all(),
            "uuid": session.scalars(text("SELECT workflow_task_id FROM human_task")).all()}
