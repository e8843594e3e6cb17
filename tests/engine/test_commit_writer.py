"""engine.store.oneshot on both databases: a completion's rows and audit event are written at
commit without the ORM's flush (one statement on PostgreSQL, one statement a row on SQLite),
exactly as the flush would have written them, and a row changed by someone else in between
writes nothing at all."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text

from engine.casework import cases, tasks
from engine.store import audit
from engine.store.errors import Conflict
from engine.store.models import AuditEvent, HumanTask, Notice, ProcessInstance
from engine.workflow import spiff
from tests.factories import make_world, open_task, valid_application, valid_step_data
from web.extensions import db as flask_db


@pytest.fixture
def world(db):
    return make_world(db)


def _started(world):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application())
    return case, open_task(world.db, case.id)


def _statements(engine, call) -> list[str]:
    seen: list[str] = []

    def remember(conn, cursor, statement, *args) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return seen


def test_a_completion_is_written_as_the_flush_would_have(world):
    case, task = _started(world)
    task_id, task_version = task.id, task.version
    version_before = world.db.scalar(select(ProcessInstance.version)
                                     .where(ProcessInstance.case_id == case.id))
    events_before = world.db.scalar(select(func.count()).select_from(AuditEvent))
    seen = _statements(flask_db.engine, lambda: tasks.complete(
        world.db, world.user("vil11"), task.id, valid_step_data("village_evaluation"),
        comment="评议通过"))
    writes = [s for s in seen if s.split()[0] in ("INSERT", "UPDATE", "WITH", "DELETE")]
    if world.db.get_bind().dialect.name == "postgresql":
        assert len(writes) == 1 and writes[0].startswith("WITH"), writes
    else:  # the instance, the task, the notice, the event, the head: no lock, no flush
        assert [w.split()[0:3] for w in writes] == [
            ["UPDATE", "process_instance", "SET"], ["UPDATE", "human_task", "SET"],
            ["INSERT", "INTO", "notice"], ["INSERT", "INTO", "audit_event"],
            ["UPDATE", "audit_chain", "SET"]], writes
    world.db.expire_all()
    done = world.db.get(HumanTask, task_id)
    assert (done.outcome, done.completed_by_id, done.version) \
        == ("approve", world.user("vil11").id, task_version + 1)
    assert done.data == valid_step_data("village_evaluation")
    assert world.db.scalar(select(ProcessInstance.version)
                           .where(ProcessInstance.case_id == case.id)) == version_before + 1
    notice = world.db.scalar(select(Notice).where(Notice.case_id == case.id))
    assert notice.step and notice.closed_at is None and notice.outcome is None
    [completed] = world.db.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "task.completed"))
    assert (completed.task_id, completed.comment) == (task_id, "评议通过")
    assert world.db.scalar(select(func.count()).select_from(AuditEvent)) == events_before + 1
    assert audit.verify(world.db).ok


def test_a_row_changed_in_between_writes_nothing(world, monkeypatch):
    """Someone else moves the case after this completion read it: its version check fails
    at commit, and none of its rows or events are written."""
    case, task = _started(world)
    task_id, task_version = task.id, task.version
    events_before = world.db.scalar(select(func.count()).select_from(AuditEvent))
    real_complete = spiff.complete

    def complete_while_someone_writes(wf, workflow_task_id, data, context=None):
        with flask_db.engine.begin() as other:  # another connection, committed at once
            other.execute(text("UPDATE process_instance SET version = version + 1 "
                               "WHERE case_id = :c"), {"c": case.id})
        return real_complete(wf, workflow_task_id, data, context)

    monkeypatch.setattr(spiff, "complete", complete_while_someone_writes)
    with pytest.raises(Conflict):
        tasks.complete(world.db, world.user("vil11"), task_id,
                       valid_step_data("village_evaluation"))
    world.db.expire_all()
    still = world.db.get(HumanTask, task_id)
    assert (still.completed_at, still.version) == (None, task_version)
    assert world.db.scalar(select(func.count()).select_from(Notice)
                           .where(Notice.case_id == case.id)) == 0
    assert world.db.scalar(select(func.count()).select_from(AuditEvent)) == events_before
    assert audit.verify(world.db).ok
