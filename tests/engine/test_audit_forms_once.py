"""A submitted form is kept once, in human_task.data; its task.completed audit event keeps
the outcome and the form's digest, so `verify` still catches an edited form. Events written
before held the form itself: the storage migration replaces it by a marker without changing
any hash."""

from __future__ import annotations

import hashlib
import importlib.util
import json

from sqlalchemy import select, text

from engine.store import audit
from engine.store.models import AuditChain, AuditEvent, HumanTask, PackedChanges
from tests.engine.test_audit_chain import MIGRATIONS, attacker, is_postgres, world  # noqa: F401


def completed_events(db) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == "task.completed")
                           .order_by(AuditEvent.id)))


def sha256_by_hand(form: dict) -> str:
    """The digest written out independently: sorted keys, no spaces, numbers as given."""
    text_ = json.dumps(form, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def test_the_event_keeps_the_outcome_and_digest_not_the_form(world):  # noqa: F811
    db = world.db
    events = completed_events(db)
    assert len(events) == 6
    for event in events:
        task = db.get(HumanTask, event.task_id)
        assert set(event.changes) == {"outcome", "data_sha256"}
        assert event.changes["outcome"] == task.outcome == "approve"
        assert task.data["decision"] == "approve" and "decision" not in event.changes
    # a form without numbers: the canonical JSON is plain sorted JSON
    assert audit.data_digest({"b": "二", "a": True}) == sha256_by_hand({"a": True, "b": "二"})
    assert audit.verify(db).ok


def edit_form(db, task_id: int) -> None:
    if is_postgres(db):
        db.execute(text("UPDATE human_task SET data = jsonb_set(data::jsonb, '{decision}', "
                        "'\"reject\"')::json WHERE id = :id"), {"id": task_id})
    else:
        db.execute(text("UPDATE human_task SET data = json_set(data, '$.decision', 'reject') "
                        "WHERE id = :id"), {"id": task_id})
    db.commit()


def test_an_edited_form_is_caught_by_its_digest(world):  # noqa: F811
    db = world.db
    event = completed_events(db)[1]
    edit_form(db, event.task_id)
    result = audit.verify(db)
    assert not result.ok and result.event_id == event.id
    assert "提交数据在办理后被修改" in result.problem


def load_migration(name: str = "storage_per_case"):
    path = next(MIGRATIONS.glob(f"*_{name}.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_before_the_migration(db) -> dict[int, str]:
    """Events holding their task's form, re-chained as they were then; their hashes."""
    last: dict[int, str] = {}
    with attacker(db):
        for event in completed_events(db):
            event.changes = db.get(HumanTask, event.task_id).data
        for event in db.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            chain = event.case_id or audit.NO_CASE
            event.hash = audit.event_hash(audit.fields_of(event),
                                          last.get(chain, audit.GENESIS))
            last[chain] = event.hash
        for head in db.scalars(select(AuditChain)):
            head.last_hash = last[head.chain_id]
        db.flush()
    return {e.id: e.hash for e in db.scalars(select(AuditEvent))}


def test_the_migration_drops_the_copies_and_keeps_every_hash(world):  # noqa: F811
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    db = world.db
    hashes = as_before_the_migration(db)
    assert all("decision" in e.changes for e in completed_events(db))
    before = audit.verify(db)
    assert before.ok, before.problem
    packing = load_migration("audit_changes_packed")  # a later migration: JSON changes then
    with Operations.context(MigrationContext.configure(db.connection())):
        packing.downgrade()
        load_migration()._keep_forms_once(is_postgres(db))
        packing.upgrade()
    db.commit()
    db.expire_all()
    for event in completed_events(db):
        assert event.changes == {"outcome": "approve", "hashed_with_data": True,
                                 "data_sha256": audit.data_digest(
                                     db.get(HumanTask, event.task_id).data)}
    assert {e.id: e.hash for e in db.scalars(select(AuditEvent))} == hashes
    after = audit.verify(db)
    assert after.ok, after.problem
    assert (after.root, after.events) == (before.root, before.events)
    target = completed_events(db)[0]
    edit_form(db, target.task_id)
    assert audit.verify(db).event_id == target.id


def test_a_forged_marker_does_not_verify(world):  # noqa: F811
    """Marking a new event as converted makes verify hash it with the form: it no longer
    matches."""
    db = world.db
    event = completed_events(db)[0]
    form = db.get(HumanTask, event.task_id).data
    with attacker(db):
        db.execute(text("UPDATE audit_event SET changes = :c WHERE id = :id"),
                   {"c": PackedChanges().process_bind_param(audit.legacy_completed(form), None),
                    "id": event.id})
    db.expire_all()
    assert db.get(AuditEvent, event.id).changes["hashed_with_data"] is True
    assert audit.verify(db).event_id == event.id
