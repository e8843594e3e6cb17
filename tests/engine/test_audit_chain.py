"""The audit trail is tamper-evident: hash chains per case (and one for events without a
case), checked by `verify` and `yimen audit verify` against update, delete, reorder and an
edited application; on PostgreSQL a trigger refuses UPDATE and DELETE outright."""

from __future__ import annotations

import importlib.util
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from engine.casework import cases, tasks
from engine.store import audit
from engine.store.errors import Conflict
from engine.store.models import AuditChain, AuditEvent, Case
from tests.conftest import DATABASES
from tests.factories import (
    WORKER,
    after_notice,
    make_world,
    open_task,
    valid_application,
    valid_step_data,
    walk,
)
from web import cli
from web.extensions import db as flask_db

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
MIGRATIONS = Path(__file__).resolve().parents[2] / "web" / "migrations" / "versions"


@pytest.fixture
def world(db):
    w = make_world(db)
    for i in range(3):
        case = cases.start(db, w.user("clerk1"), "linzi_identification", "V11",
                           valid_application(), now=T0 + timedelta(hours=i))
        at = after_notice(db, walk(w, case.id, ["approve", "approve"], T0 + timedelta(hours=i)))
        task = open_task(db, case.id)
        tasks.claim(db, w.user(WORKER[task.step]), task.id, now=at)
    return w


def is_postgres(db) -> bool:
    return db.get_bind().dialect.name == "postgresql"


@contextmanager
def attacker(db):
    """Raw SQL as someone with database access; on PostgreSQL a superuser who first
    switches the append-only trigger off."""
    if is_postgres(db):
        db.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
    try:
        yield
        db.commit()
    finally:
        if is_postgres(db):
            db.rollback()
            db.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
            db.commit()


def events_of(db, case_id: int) -> list[int]:
    return list(db.scalars(select(AuditEvent.id).where(AuditEvent.case_id == case_id)
                           .order_by(AuditEvent.id)))


def first_case(db) -> int:
    return db.scalar(select(func.min(AuditEvent.case_id)))


def test_an_untouched_trail_verifies_with_every_event_counted(world):
    db = world.db
    result = audit.verify(db)
    total = db.scalar(select(func.count()).select_from(AuditEvent))
    assert result.ok, result.problem
    assert result.events == total > 9 and result.cases == 3
    assert len(result.root) == 64
    assert db.scalar(select(func.count()).where(AuditEvent.hash.is_(None))) == 0
    # one chain per case plus one for the deploy events, which have no case
    heads = {h.chain_id: h for h in db.scalars(select(AuditChain))}
    assert set(heads) == {0} | set(db.scalars(select(AuditEvent.case_id).distinct()
                                             .where(AuditEvent.case_id.is_not(None))))
    last = db.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.case_id == first_case(db)))
    assert heads[first_case(db)].last_event_id == last


def test_an_updated_event_is_named(world):
    db = world.db
    target = events_of(db, first_case(db))[2]
    with attacker(db):
        db.execute(text("UPDATE audit_event SET actor_name = 'someone' WHERE id = :id"),
                   {"id": target})
    result = audit.verify(db)
    assert not result.ok and result.event_id == target and f"#{target}" in result.problem


def test_a_changed_comment_in_changes_json_is_named(world):
    db = world.db
    target = events_of(db, first_case(db))[1]
    with attacker(db):
        db.execute(text("UPDATE audit_event SET comment = comment || '.' WHERE id = :id"),
                   {"id": target})
    assert audit.verify(db).event_id == target


def test_a_deleted_event_breaks_the_next_link(world):
    db = world.db
    ids = events_of(db, first_case(db))
    with attacker(db):
        db.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": ids[1]})
    result = audit.verify(db)
    assert not result.ok and result.event_id == ids[2]


def test_a_deleted_last_event_breaks_the_chain_head(world):
    db = world.db
    ids = events_of(db, first_case(db))
    with attacker(db):
        db.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": ids[-1]})
    result = audit.verify(db)
    assert not result.ok and result.event_id == ids[-1] and "中断" in result.problem


def test_reordered_events_are_named(world):
    db = world.db
    ids = events_of(db, first_case(db))
    a, b = ids[1], ids[3]
    with attacker(db):
        for old, new in [(a, -1), (b, a), (-1, b)]:
            db.execute(text("UPDATE audit_event SET id = :new WHERE id = :old"),
                       {"new": new, "old": old})
    result = audit.verify(db)
    assert not result.ok and result.event_id == a


def test_an_edited_application_is_caught_by_its_digest(world):
    db = world.db
    case_id = first_case(db)
    application = db.get(Case, case_id).application
    assert application["head_name"]
    # behind the engine's back: a plain UPDATE of the stored application
    db.execute(update(Case).where(Case.id == case_id)
               .values(application={**application, "head_name": "改过的名字"}))
    db.commit()
    opened = db.scalar(select(AuditEvent.id).where(AuditEvent.case_id == case_id,
                                                   AuditEvent.action == "case.opened"))
    result = audit.verify(db)
    assert not result.ok and result.event_id == opened
    assert f"案件 {case_id} 的申请材料" in result.problem


@pytest.mark.parametrize("app", [d for d in DATABASES if d == "postgresql"], indirect=True)
def test_postgres_trigger_refuses_update_and_delete(world):
    """The append-only trigger exists on PostgreSQL only (SQLite has no such need here)."""
    db = world.db
    target = events_of(db, first_case(db))[0]
    for statement in ("UPDATE audit_event SET actor_name = 'x' WHERE id = :id",
                      "DELETE FROM audit_event WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(statement), {"id": target})
        db.rollback()
    assert audit.verify(db).ok


def test_cli_verify_exits_0_with_the_count_or_1_naming_the_event(world, app, monkeypatch):
    db = world.db
    monkeypatch.setattr(cli, "_app", lambda: app)
    res = CliRunner().invoke(cli.main, ["audit", "verify"])
    total = db.scalar(select(func.count()).select_from(AuditEvent))
    assert res.exit_code == 0 and f"{total} 条审计事件" in res.output, res.output
    target = events_of(db, first_case(db))[0]
    with attacker(db):
        db.execute(text("UPDATE audit_event SET action = 'case.forged' WHERE id = :id"),
                   {"id": target})
    res = CliRunner().invoke(cli.main, ["audit", "verify"])
    assert res.exit_code == 1 and f"审计事件 #{target}" in res.output


def test_concurrent_writers_keep_every_chain_intact(world):
    """Cases opened and worked in parallel threads (each with its own session) and a claim on
    one case racing its completion: every chain still links."""
    factory = sessionmaker(flask_db.engine, expire_on_commit=False)
    errors: list[Exception] = []

    def work(i: int) -> None:
        with factory() as session:
            w = type(world)(session)
            try:
                case = cases.start(session, w.user("clerk1"), "linzi_identification", "V11",
                                   valid_application(), now=T0 + timedelta(minutes=i))
                walk(w, case.id, ["approve"], T0 + timedelta(minutes=i))
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert len(errors) < len(threads), "every writer conflicted: nothing ran in parallel"
    assert not [e for e in errors if not isinstance(e, Conflict)], errors
    world.db.expire_all()
    task = open_task(world.db, first_case(world.db))
    outcomes: list = []

    def complete() -> None:
        with factory() as session:
            w = type(world)(session)
            try:
                tasks.complete(session, w.user(WORKER[task.step]), task.id,
                               valid_step_data(task.form_key, "approve"),
                               now=T0 + timedelta(days=20))
                outcomes.append("won")
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                outcomes.append(exc)

    racers = [threading.Thread(target=complete) for _ in range(5)]
    for t in racers:
        t.start()
    for t in racers:
        t.join(60)
    assert not any(t.is_alive() for t in racers) and len(outcomes) == len(racers)
    assert outcomes.count("won") == 1
    assert all(isinstance(o, Conflict) for o in outcomes if o != "won"), outcomes
    world.db.expire_all()
    result = audit.verify(world.db)
    assert result.ok, result.problem


def _migration(pattern: str):
    spec = importlib.util.spec_from_file_location(pattern, next(MIGRATIONS.glob(pattern)))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_chains_events_already_present(world):
    """An upgraded database verifies clean: strip the chain as before the migration, then
    run the migration's own step over the existing events."""
    db = world.db
    module = _migration("*_audit_chain_timer_attempts.py")
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    raw = _migration("*_raw_digests_and_task_uuids.py")
    packing = _migration("*_audit_changes_packed.py")
    with attacker(db):  # as before the migration: no hashes, no heads, no trigger yet
        if is_postgres(db):  # and hex text, as the columns were then
            for table, column in [("audit_event", "hash"), ("audit_chain", "last_hash")]:
                db.execute(text(f"ALTER TABLE {table} ALTER COLUMN {column} "
                                f"TYPE varchar(64) USING encode({column}, 'hex')"))
        db.execute(text("UPDATE audit_event SET hash = NULL"))
        # entries written before digests held the application itself
        for event in db.scalars(select(AuditEvent).where(AuditEvent.action == "case.opened")):
            event.changes = {"application": db.get(Case, event.case_id).application}
        db.flush()
        db.execute(text("DELETE FROM audit_chain"))
        assert not audit.verify(db).ok
        with Operations.context(MigrationContext.configure(db.connection())):
            packing.downgrade()  # changes as JSON, as they were then
            if is_postgres(db):  # the downgrade switched the trigger back on
                db.execute(text("ALTER TABLE audit_event DISABLE TRIGGER "
                                "audit_event_append_only"))
            module._chain_existing_events()
    with Operations.context(MigrationContext.configure(db.connection())):
        for table in ("audit_event", "audit_chain"):  # then to raw bytes, as upgraded
            raw.to_raw(table, retype=False)
        packing.upgrade()
    db.commit()
    db.expire_all()  # the events loaded above hold the hashes from before
    result = audit.verify(db)
    assert result.ok, result.problem
    assert result.events == db.scalar(select(func.count()).select_from(AuditEvent))
    assert result.cases == 3
    opened = db.scalars(select(AuditEvent).where(AuditEvent.action == "case.opened")).all()
    assert all("application" in e.changes for e in opened)


def test_a_real_upgrade_chains_a_database_with_events(tmp_path):
    """Alembic from the previous head to ours over a database holding events and a case."""
    from flask_migrate import upgrade

    from web import create_app

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "t"})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="3c1f0a9e7b25")
        session = flask_db.session
        session.execute(text("INSERT INTO org_unit (id, code, name, level, path) "
                             "VALUES (1, 'D9', '旧区', 'district', '/D9/')"))
        session.execute(text(
            "INSERT INTO procedure_version (id, key, name, region_id, version, bpmn, dmn, forms, "
            "start_form, deployed_at) VALUES (1, 'p', 'p', 1, 1, '{}', '{}', '{}', 'f', "
            "'2026-01-05 01:00:00.000000')"))
        application = '{"head_name":"张三","members":[]}'
        session.execute(text(
            "INSERT INTO case_file (id, procedure_version_id, village_id, org_path, status, "
            "applicant_name, household_size, application, opened_at) VALUES "
            "(1, 1, 1, '/D9/', 'running', '张三', 1, :app, '2026-01-05 02:00:00.000000')"),
            {"app": application})
        for i, (case, action, changes) in enumerate([
                (None, "procedure.deployed", '{"key":"p","version":1,"amount":1.5}'),
                (1, "case.opened", '{"application":' + application + '}'),
                (1, "case.extended", None)]):
            session.execute(text(
                "INSERT INTO audit_event (at, actor_name, case_id, action, comment, changes) "
                "VALUES (:at, 'system', :case, :action, '', :changes)"),
                {"at": f"2026-01-05 0{i + 1}:00:00.000000", "case": case, "action": action,
                 "changes": changes})
        session.commit()
        upgrade(directory=directory)
        result = audit.verify(session)
        assert result.ok, result.problem
        assert (result.events, result.cases) == (3, 1)
        session.execute(text("UPDATE audit_event SET comment = 'x' WHERE id = 2"))
        session.commit()
        assert audit.verify(session).event_id == 2
        session.remove()
