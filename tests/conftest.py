"""Fixtures: every database test runs on SQLite and, when YIMEN_TEST_DATABASE_URL is set,
on that database too (PostgreSQL in CI), in the same pytest invocation.

No test depends on today's date: every test starts with the engine's clock at `TEST_NOW`
(ticking on from there), and the calendar holds the national years up to
`CALENDAR_LAST_YEAR` only, whatever `chinesecalendar` release is installed. A test that needs
another instant passes `now=` or uses `engine.time.clock.frozen(...)`; one that needs a later year
imports its own rows (`deadlines.import_calendar`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from engine import money
from engine.casework import deadlines
from engine.store.models import Base
from engine.time import calendar, clock
from engine.workflow import procedures
from web import create_app
from web.cli import upgrade_schema
from web.extensions import db as flask_db

# What create_app registers (engine/README.md), also for tests that parse bundles without an app.
money.register()

PG_URL = os.environ.get("YIMEN_TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])
_apps: dict = {}
# Monday 1 June 2026, 10:00 in Beijing: every limit a test meets (30 or 45 working days, a
# six-month phase-out) ends inside 2026; 2027 is not in the tests' calendar.
TEST_NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
CALENDAR_LAST_YEAR = 2026


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[datetime]:
    """Every test starts at TEST_NOW, whatever the machine's clock says."""
    with clock.starting_at(TEST_NOW) as start:
        yield start


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _app_for(kind: str, tmp_path_factory):
    if kind not in _apps:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        else:
            url = PG_URL
            _reset_postgres(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                          "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})
        upgrade_schema(app)  # the real migrations, not create_all
        _apps[kind] = app
    return _apps[kind]


# The cache counter's one row (engine.store.cache) stays; emptying the watched tables bumps it.
KEPT = ("cache_version",)


def _empty_tables() -> None:
    session = flask_db.session
    if session.get_bind().dialect.name == "postgresql":
        names = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name not in KEPT)
        session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEPT:
                session.execute(table.delete())
    session.commit()


@pytest.fixture(params=DATABASES)
def app(request, tmp_path_factory) -> Iterator:
    app = _app_for(request.param, tmp_path_factory)
    with app.app_context():
        procedures.forget_cached()
        calendar.forget_cached()
        _empty_tables()
        deadlines.seed_calendar(flask_db.session, last_year=CALENDAR_LAST_YEAR)
        yield app
        flask_db.session.remove()


@pytest.fixture
def db(app):
    return flask_db.session


@pytest.fixture
def client(app):
    return app.test_client()
