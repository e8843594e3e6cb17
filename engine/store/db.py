"""Database engine settings shared by every process: SQLite pragmas, JSON, pool options."""

from __future__ import annotations

import json
import sqlite3

from sqlalchemy import Engine, event


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite as a real single-machine database: WAL, a busy timeout and enforced FKs."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _json(value) -> str:
    """Compact JSON with Chinese kept as UTF-8, not \\u escapes (a third of the bytes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def engine_options(url: str, pooled: bool = False) -> dict:
    """Options shared by Flask-SQLAlchemy and plain engines.

    No pre-ping on PostgreSQL: it costs a round trip per request; connections are recycled
    hourly instead, and a dropped one fails a single request that the client may retry.

    `pooled`: the URL points at PgBouncer in transaction mode (docs/operations.md), where two
    transactions of one client may run on different server connections. psycopg prepares a
    statement on the server after its 5th use and reuses it by name; behind the pooler that
    name is unknown on the next server connection, so server-side prepares are switched off.
    """
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 10}, "json_serializer": _json}
    options: dict = {"pool_recycle": 3600, "json_serializer": _json}
    if pooled:
        options.setdefault("connect_args", {})["prepare_threshold"] = None
    return options
