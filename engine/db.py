"""Engines and sessions for processes without Flask (CLI, worker, benchmarks)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


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


def engine_options(url: str) -> dict:
    """Options shared by Flask-SQLAlchemy and plain engines."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 10}}
    return {"pool_pre_ping": True}


def make_session_factory(url: str) -> sessionmaker[Session]:
    engine = create_engine(url, **engine_options(url))
    return sessionmaker(engine, expire_on_commit=False)
