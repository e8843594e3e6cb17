"""Statements compiled once and run as SQL text (engine.store.precompiled): parameters are
typed as the compiled statement says, fixed values ride along, and SQLAlchemy still sees every
execution (the bench counts round trips by its events) and still translates driver errors.

Named parameters only, as psycopg takes them: the one-statement writer that uses it runs on
PostgreSQL alone. On SQLite (positional `?`) each test checks the refusal instead."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, bindparam, event, func, insert, literal, select
from sqlalchemy.exc import IntegrityError

from engine.store.models import CacheVersion, PackedJSON
from engine.store.precompiled import precompile

APPLICATION = {"head_name": "王建国", "members": [{"name": "李秀英"}] * 5}


def _refused_on_sqlite(db, statement) -> bool:
    """True (after checking the refusal) where the dialect's parameters are positional."""
    if db.get_bind().dialect.name == "postgresql":
        return False
    with pytest.raises(ValueError):
        precompile(statement, db.get_bind().dialect)
    return True


def test_binds_are_processed_and_fixed_values_kept(db):
    query = select(literal(40) + bindparam("n", type_=Integer),
                   func.length(bindparam("packed", type_=PackedJSON())))
    if _refused_on_sqlite(db, query):
        return
    connection = db.connection()
    statement = precompile(query, connection.dialect)
    row = statement.run(connection, {"n": 2, "packed": APPLICATION}).one()
    # the application went through PackedJSON's bind processor: its packed length, not a
    # refusal to bind a dict
    assert tuple(row) == (42, len(PackedJSON().process_bind_param(APPLICATION, None)))


def test_every_run_is_seen_by_sqlalchemys_events(db):
    query = select(bindparam("n", type_=Integer) * 2)
    if _refused_on_sqlite(db, query):
        return
    connection = db.connection()
    statement = precompile(query, connection.dialect)
    seen: list[str] = []

    def count(conn, cursor, sql, *args) -> None:
        seen.append(sql)

    event.listen(db.get_bind(), "before_cursor_execute", count)
    try:
        assert [statement.run(connection, {"n": n}).scalar() for n in (1, 2)] == [2, 4]
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", count)
    assert seen == [statement.sql, statement.sql]


def test_driver_errors_arrive_as_sqlalchemys(db):
    query = insert(CacheVersion).values(id=bindparam("id", type_=Integer), version=0)
    if _refused_on_sqlite(db, query):
        return
    connection = db.connection()
    statement = precompile(query, connection.dialect)
    with pytest.raises(IntegrityError):  # the counter row 1 exists: a duplicate key
        statement.run(connection, {"id": 1})
    db.rollback()


def test_statements_that_expand_at_execution_are_refused(db):
    expanding = select(CacheVersion.id).where(CacheVersion.id.in_(bindparam("ids", [1, 2],
                                                                            expanding=True)))
    with pytest.raises(ValueError):
        precompile(expanding, db.get_bind().dialect)
