"""The storage layout migrations of 2026-12-02, each with its downgrade, on both databases:
the timer index holds only instances that wait on a timer and audit_chain pages are packed
full (e4c7a2b9d815); submitted forms are JSON text (f6d2b8e4a193); case members
(a9e5c3f1d726) and workflow instances (b3f8d6a2c517) are keyed by their case; a task whose
form is named like its step stores it blank (c8e2a4f7b319)."""

from __future__ import annotations

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import inspect, select, text
from sqlalchemy.dialects.postgresql import JSONB

from engine.casework import cases
from engine.store.models import Case, CaseMember, HumanTask, ProcessInstance
from tests.engine.test_audit_chain import _migration
from tests.factories import make_world
from tests.forms.samples import valid_application


def _timer_index(db) -> str:
    """The timer index's predicate as the database reports it ("" when it has none)."""
    [index] = [i for i in inspect(db.connection()).get_indexes("process_instance")
               if i["name"] == "ix_process_instance_next_timer"]
    options = index.get("dialect_options", {})
    where = options.get("postgresql_where") or options.get("sqlite_where")
    return str(where) if where is not None else ""


def _key(db, table: str) -> list[str]:
    return inspect(db.connection()).get_pk_constraint(table)["constrained_columns"]


def _columns(db, table: str) -> dict[str, object]:
    return {c["name"]: c["type"] for c in inspect(db.connection()).get_columns(table)}


def _chain_fillfactor(db) -> str | None:
    if db.get_bind().dialect.name != "postgresql":
        return None
    options = db.scalar(text("SELECT reloptions FROM pg_class WHERE relname = 'audit_chain'"))
    return next((o for o in options if o.startswith("fillfactor=")), None)


def test_timer_index_leaves_out_instances_without_a_timer_and_the_downgrade_restores_it(db):
    postgres = db.get_bind().dialect.name == "postgresql"
    assert "next_timer_at IS NOT NULL" in _timer_index(db)
    assert _chain_fillfactor(db) == ("fillfactor=100" if postgres else None)
    module = _migration("e4c7a2b9d815_*.py")
    with Operations.context(MigrationContext.configure(db.connection())):
        module.downgrade()
        assert _timer_index(db) == ""
        assert _chain_fillfactor(db) == ("fillfactor=70" if postgres else None)
        module.upgrade()
    db.commit()
    assert "next_timer_at IS NOT NULL" in _timer_index(db)
    assert _chain_fillfactor(db) == ("fillfactor=100" if postgres else None)


def test_the_timer_pass_reads_the_partial_index(db):
    """`next_timer_at <= now` implies NOT NULL: both databases use the smaller index."""
    query = ("SELECT case_id FROM process_instance WHERE next_timer_at <= :now "
             "ORDER BY timer_attempts, next_timer_at, case_id LIMIT 100")
    now = "2026-01-01 00:00:00"
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db.scalars(text(f"EXPLAIN {query}"), {"now": now}))
    else:
        plan = "\n".join(row[3] for row in db.execute(text(f"EXPLAIN QUERY PLAN {query}"),
                                                      {"now": now}))
    assert "ix_process_instance_next_timer" in plan, plan


def test_submitted_forms_are_json_text_and_the_downgrade_makes_them_jsonb_again(db):
    postgres = db.get_bind().dialect.name == "postgresql"
    assert not isinstance(_columns(db, "human_task")["data"], JSONB)
    module = _migration("f6d2b8e4a193_*.py")
    with Operations.context(MigrationContext.configure(db.connection())):
        module.downgrade()
        assert isinstance(_columns(db, "human_task")["data"], JSONB) == postgres
        module.upgrade()
    db.commit()
    assert not isinstance(_columns(db, "human_task")["data"], JSONB)


def _members(db) -> list[tuple]:
    order = "seq" if "seq" in _columns(db, "case_member") else "id"
    return [tuple(row) for row in db.execute(text(
        f"SELECT case_id, id_number, name, relation FROM case_member ORDER BY case_id, {order}"))]


def test_case_members_keyed_by_case_keep_their_order_through_downgrade_and_upgrade(db):
    world = make_world(db)
    opened = [cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                          valid_application()).id for _ in range(2)]
    rows = db.scalars(select(CaseMember).where(CaseMember.case_id == opened[0])
                      .order_by(CaseMember.seq)).all()
    head = db.get(Case, opened[0]).application["members"]
    assert [(m.seq, m.id_number) for m in rows] == [
        (i, member["id_number"]) for i, member in enumerate(head)]
    before = _members(db)
    module = _migration("a9e5c3f1d726_*.py")
    with Operations.context(MigrationContext.configure(db.connection())):
        module.downgrade()
        assert _key(db, "case_member") == ["id"] and "seq" not in _columns(db, "case_member")
        assert _members(db) == before  # ids numbered in the members' order
        db.execute(text("INSERT INTO case_member (case_id, id_number, name, relation) "
                        "VALUES (:c, '110101199001011237', '新成员', 'child')"),
                   {"c": opened[1]})  # a downgraded table numbers new rows itself
        db.execute(text("DELETE FROM case_member WHERE name = '新成员'"))
        module.upgrade()
    db.commit()
    assert _key(db, "case_member") == ["case_id", "seq"]
    assert _members(db) == before
    assert db.scalars(select(CaseMember.seq).where(CaseMember.case_id == opened[1])
                      .order_by(CaseMember.seq)).all() == list(range(len(head)))


def _instances(db) -> list[tuple]:
    return [tuple(row) for row in db.execute(text(
        "SELECT case_id, state, version, next_timer_at FROM process_instance ORDER BY case_id"))]


def test_instances_keyed_by_case_survive_downgrade_and_upgrade(db):
    world = make_world(db)
    opened = [cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                          valid_application()).id for _ in range(3)]
    assert _key(db, "process_instance") == ["case_id"]
    assert db.get(ProcessInstance, opened[1]).case_id == opened[1]
    before = _instances(db)
    module = _migration("b3f8d6a2c517_*.py")
    with Operations.context(MigrationContext.configure(db.connection())):
        module.downgrade()
        assert _key(db, "process_instance") == ["id"]
        assert _instances(db) == before
        assert sorted(db.scalars(text("SELECT id FROM process_instance"))) == [1, 2, 3]
        module.upgrade()
    db.commit()
    assert _key(db, "process_instance") == ["case_id"]
    assert _instances(db) == before
    assert "next_timer_at IS NOT NULL" in _timer_index(db)


def _stored_form_keys(db) -> list[tuple[str, str]]:
    return [tuple(r) for r in db.execute(text(
        "SELECT step, form_key FROM human_task ORDER BY id"))]


def test_a_form_named_like_its_step_is_stored_blank_and_read_as_the_step(db):
    world = make_world(db)
    opened = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                         valid_application())
    [task] = db.scalars(select(HumanTask).where(HumanTask.case_id == opened.id))
    assert _stored_form_keys(db) == [("village_evaluation", "")]
    assert task.form_key == "village_evaluation"
    assert db.scalar(select(HumanTask.form_key).where(HumanTask.id == task.id)) \
        == "village_evaluation"
    assert db.scalar(select(HumanTask.id).where(HumanTask.form_key == "village_evaluation")) \
        == task.id
    # a step whose form is named otherwise keeps the name
    assert HumanTask.stored_form_key("township_check", "exit_check") == "exit_check"
    assert HumanTask.stored_form_key("village_evaluation", "village_evaluation") == ""
    db.execute(text("UPDATE human_task SET form_key = 'exit_check'"))
    db.expire_all()
    assert db.get(HumanTask, task.id).form_key == "exit_check"
    assert db.scalar(select(HumanTask.form_key).where(HumanTask.id == task.id)) == "exit_check"


def test_forms_named_by_step_survive_downgrade_and_upgrade(db):
    world = make_world(db)
    for _ in range(2):
        cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                    valid_application())
    db.execute(text("UPDATE human_task SET form_key = 'exit_check' WHERE id = "
                    "(SELECT max(id) FROM human_task)"))
    module = _migration("c8e2a4f7b319_*.py")
    with Operations.context(MigrationContext.configure(db.connection())):
        module.downgrade()
        assert _stored_form_keys(db) == [("village_evaluation", "village_evaluation"),
                                         ("village_evaluation", "exit_check")]
        module.upgrade()
    db.commit()
    assert _stored_form_keys(db) == [("village_evaluation", ""),
                                     ("village_evaluation", "exit_check")]
