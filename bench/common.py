"""Shared set-up for the benchmarks: a fresh database, the test world, counters, tables.

Every benchmark builds its own database (a file-backed SQLite in a temp dir, or the
PostgreSQL URL given with --database-url, whose `public` schema is dropped and recreated),
runs the real Alembic migrations and deploys bpmn/linzi through the engine's own services.
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import Engine, create_engine, event, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine.casework import cases  # noqa: E402
from engine.people import accounts  # noqa: E402
from engine.store.models import HumanTask, OrgUnit, User  # noqa: E402
from engine.workflow import procedures  # noqa: E402
from tests.factories import WORKER, make_world, valid_application  # noqa: E402
from tests.forms.samples import HEAD_BIRTH, make_id_number  # noqa: E402
from web import create_app  # noqa: E402
from web.cli import upgrade_schema  # noqa: E402
from web.extensions import db as flask_db  # noqa: E402

PROCESS = "linzi_identification"
# A fixed start inside the years the seeded working-day calendar covers (up to 2026).
T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def arg_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", default=None,
                        help="e.g. postgresql+psycopg://postgres@127.0.0.1:5432/yimen_bench "
                             "(its public schema is reset); default: SQLite in a temp dir")
    return parser


def _reset_postgres(url: str) -> None:
    """Create the database if missing, then drop and recreate its public schema."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": target.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(url: str | None) -> Flask:
    """A migrated, empty app on `url` or on a fresh SQLite file; the world is deployed."""
    if url is None:
        folder = tempfile.mkdtemp(prefix="yimen-bench-")
        atexit.register(shutil.rmtree, folder, True)
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
    elif url.startswith("postgresql"):
        _reset_postgres(url)
    # CSRF off: the inbox benchmark signs in through the login form with the test client.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    upgrade_schema(app)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        procedures.forget_cached()
        make_world(flask_db.session)
        flask_db.session.remove()
    return app


def describe_db(app: Flask) -> str:
    with app.app_context():
        url = flask_db.engine.url
        return f"{url.get_backend_name()} {url.render_as_string(hide_password=True)}"


_households = itertools.count()


def application() -> dict[str, Any]:
    """The sample application for a new household: its own head ID number.

    A household (keyed by the head's ID number) may have only one running case.
    """
    n = next(_households)
    birth = HEAD_BIRTH + timedelta(days=n // 100)
    head_id = make_id_number(birth, n % 100, male=True)
    data = valid_application(head_id_number=head_id)
    data["members"][0].update(id_number=head_id, birth_date=birth.isoformat())
    return data


def villages_under_d1(session: Session, prefix: str, townships: int = 50,
                      per_township: int = 20) -> tuple[OrgUnit, list[OrgUnit]]:
    """District D1 and `townships` × `per_township` new villages under it, their codes
    starting with `prefix` (T… townships, V… villages), inserted in two statements."""
    district = session.scalar(select(OrgUnit).where(OrgUnit.code == "D1"))
    session.execute(insert(OrgUnit), [
        {"code": f"{prefix}T{t}", "name": f"镇{t}", "level": "township",
         "parent_id": district.id, "path": f"{district.path}{prefix}T{t}/"}
        for t in range(townships)])
    towns = {o.code: o for o in session.scalars(
        select(OrgUnit).where(OrgUnit.code.like(f"{prefix}T%")))}
    session.execute(insert(OrgUnit), [
        {"code": f"{prefix}V{t}_{v}", "name": f"村{t}-{v}", "level": "village",
         "parent_id": towns[f"{prefix}T{t}"].id,
         "path": f"{towns[f'{prefix}T{t}'].path}{prefix}V{t}_{v}/"}
        for t in range(townships) for v in range(per_township)])
    return district, list(session.scalars(
        select(OrgUnit).where(OrgUnit.code.like(f"{prefix}V%"))))


def start_cases(db: Session, n: int, now: datetime) -> list[int]:
    """n cases of new households of village V11, each with its village_evaluation task open."""
    clerk = users(db)["clerk1"]
    return [cases.start(db, clerk, PROCESS, "V11", application(), now=now).id
            for _ in range(n)]


def users(db: Session) -> dict[str, User]:
    """The clerk and the worker of every Linzi step (tests.factories.WORKER), by username."""
    return {n: accounts.by_username(db, n) for n in {*WORKER.values(), "clerk1"}}


class BenchError(Exception):
    """The engine did not behave as the benchmark's walk through the procedure expects."""


def open_task(db: Session, case_id: int, step: str | None = None) -> HumanTask:
    """The case's open task (of `step`); BenchError when there is none."""
    task = db.scalar(select(HumanTask).where(HumanTask.case_id == case_id,
                                             HumanTask.completed_at.is_(None)))
    if task is None or (step and task.step != step):
        raise BenchError(
            f"case {case_id}: expected an open {step + ' ' if step else ''}task, found "
            f"{task.step if task else 'none'} (if a 7-day notice was due: did timers.run_pass "
            "fire it? check process_instance.next_timer_at)")
    return task


def guarded(main: Callable[[], None]) -> None:
    """Run a benchmark's main; a walk that cannot proceed ends with one ERROR line, status 2."""
    try:
        main()
    except BenchError as exc:
        print(f"ERROR, nothing measured: {exc}", flush=True)
        sys.exit(2)


@dataclass
class SqlCount:
    statements: list[str] = field(default_factory=list)
    commits: int = 0


@contextmanager
def count_sql(engine: Engine) -> Iterator[SqlCount]:
    """Every statement sent through `engine` and every commit, while the block runs."""
    found = SqlCount()

    def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        found.statements.append(" ".join(statement.split()))

    def on_commit(conn) -> None:
        found.commits += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    print(f"\n{title}")
    line = "  ".join("-" * w for w in widths)
    print(line)
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            print(line)
    print(line)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# ----- figures: one line per measured figure, with its target, verdict and the machine load

RESULTS_ENV = "YIMEN_BENCH_RESULTS"  # run_all.py sets it to a JSON-lines file it summarises


def load() -> float:
    """The 1-minute load average: how busy the 2-core machine was."""
    return os.getloadavg()[0]


@dataclass
class Figure:
    """A measured figure; `ok` is None where issue 16 sets no target for it."""

    name: str
    database: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None
    load_start: float = 0.0
    load_end: float = 0.0
    note: str = ""

    def line(self) -> str:
        verdict_word = "" if self.ok is None else ("PASS" if self.ok else "FAIL")
        target = f"  target {self.target}" if self.target else "  (no target)"
        note = f"  [{self.note}]" if self.note else ""
        return (f"FIGURE {self.name} [{self.database}]: {_fmt_value(self.value)} {self.unit}"
                f"{target}  {verdict_word}  (load {self.load_start:.2f} -> {self.load_end:.2f})"
                f"{note}").replace("    ", "  ")


def _fmt_value(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def at_most(value: float, limit: float) -> bool:
    return value == value and value <= limit


def at_least(value: float, limit: float) -> bool:
    return value == value and value >= limit


def record(figure: Figure) -> None:
    """Print the figure's line and append it to the run's results file, if any."""
    print(figure.line(), flush=True)
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(figure.__dict__, ensure_ascii=False) + "\n")


def database_label(app: Flask) -> str:
    """'SQLite' or 'PostgreSQL', for the figure lines."""
    with app.app_context():
        name = flask_db.engine.url.get_backend_name()
    return "PostgreSQL" if name.startswith("postgres") else "SQLite"
