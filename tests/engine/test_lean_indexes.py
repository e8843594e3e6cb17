"""Migration e4c7a2b9d815: the timer index holds only instances that wait on a timer, and
audit_chain pages are packed full on PostgreSQL; its downgrade puts both back."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text

MIGRATION = next((Path(__file__).resolve().parents[2] / "web" / "migrations" / "versions")
                 .glob("e4c7a2b9d815_*.py"))


def _migration():
    spec = importlib.util.spec_from_file_location("lean", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timer_index(db) -> str:
    if db.get_bind().dialect.name == "postgresql":
        return db.scalar(text("SELECT indexdef FROM pg_indexes "
                              "WHERE indexname = 'ix_process_instance_next_timer'"))
    return db.scalar(text("SELECT sql FROM sqlite_master "
                          "WHERE name = 'ix_process_instance_next_timer'"))


def _chain_fillfactor(db) -> str | None:
    if db.get_bind().dialect.name != "postgresql":
        return None
    options = db.scalar(text("SELECT reloptions FROM pg_class WHERE relname = 'audit_chain'"))
    return next((o for o in options if o.startswith("fillfactor=")), None)


def test_timer_index_leaves_out_instances_without_a_timer_and_the_downgrade_restores_it(db):
    postgres = db.get_bind().dialect.name == "postgresql"
    assert "next_timer_at IS NOT NULL" in _timer_index(db)
    assert _chain_fillfactor(db) == ("fillfactor=100" if postgres else None)
    module = _migration()
    with Operations.context(MigrationContext.configure(db.connection())):
        module.downgrade()
        assert "IS NOT NULL" not in _timer_index(db)
        assert _chain_fillfactor(db) == ("fillfactor=70" if postgres else None)
        module.upgrade()
    db.commit()
    assert "next_timer_at IS NOT NULL" in _timer_index(db)
    assert _chain_fillfactor(db) == ("fillfactor=100" if postgres else None)


def test_the_timer_pass_reads_the_partial_index(db):
    """`next_timer_at <= now` implies NOT NULL: both databases use the smaller index."""
    query = ("SELECT id FROM process_instance WHERE next_timer_at <= :now "
             "ORDER BY timer_attempts, next_timer_at, id LIMIT 100")
    now = "2026-01-01 00:00:00"
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db.scalars(text(f"EXPLAIN {query}"), {"now": now}))
    else:
        plan = "\n".join(row[3] for row in db.execute(text(f"EXPLAIN QUERY PLAN {query}"),
                                                      {"now": now}))
    assert "ix_process_instance_next_timer" in plan, plan
