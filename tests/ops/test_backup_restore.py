"""Backup and restore as docs/operations.md tells a county to do it: `pg_dump -Fc`, then
`pg_restore` into a new database, `yimen audit verify` there, and the restored installation
works on (a task is completed). PostgreSQL only: on the SQLite run there is nothing to dump."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from engine.casework import cases, tasks
from engine.people import accounts
from engine.store import audit
from engine.store.models import AuditEvent, HumanTask
from engine.workflow import procedures
from tests.conftest import PG_URL, TEST_NOW
from tests.factories import WORKER, make_world, open_task, valid_application, valid_step_data, walk
from tests.ops.pg_tools import libpq_url, major_version, scratch_database
from web import create_app
from web.extensions import db as flask_db

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: YIMEN_TEST_DATABASE_URL is not set"),
    pytest.mark.parametrize("app", ["postgresql"], indirect=True),
]


def _server_major(db) -> int:
    return int(db.scalar(text("SHOW server_version_num"))) // 10000


def _cli(url: str, *words: str) -> subprocess.CompletedProcess:
    """`yimen ...` in its own process, on the database `url` (as an operator runs it)."""
    env = {**os.environ, "DATABASE_URL": url, "YIMEN_SECRET_KEY": "restore-test"}
    return subprocess.run([sys.executable, "-m", "web.cli", *words], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _small_county(db) -> tuple[int, int]:
    """Two cases: one past the village step (its notice running), one waiting at it."""
    world = make_world(db)
    walked = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                         valid_application(), now=TEST_NOW)
    walk(world, walked.id, ["approve"], TEST_NOW)
    waiting = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                          valid_application(), now=TEST_NOW + timedelta(hours=1))
    db.commit()
    return walked.id, waiting.id


def test_dump_restore_verify_and_work_on(app, db, tmp_path):
    for tool in ("pg_dump", "pg_restore"):
        assert major_version(tool) >= _server_major(db), f"{tool} is older than the server"
    _, waiting = _small_county(db)
    events = db.scalar(select(func.count()).select_from(AuditEvent))
    assert events >= 4  # both cases started, a step completed, the notice begun
    dump = tmp_path / "yimen.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), libpq_url(PG_URL)], check=True,
                   timeout=120)

    with scratch_database(PG_URL, "yimen_restore") as restored_url:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d",
                        libpq_url(restored_url), str(dump)], check=True, timeout=120)
        verified = _cli(restored_url, "audit", "verify")
        assert verified.returncode == 0, verified.stderr
        assert f"审计校验通过：{events} 条审计事件、2 件案件" in verified.stdout

        restored = create_app({"SQLALCHEMY_DATABASE_URI": restored_url, "TESTING": True,
                               "SECRET_KEY": "test"})
        try:
            _complete_and_check(restored, waiting, events)
        finally:
            with restored.app_context():
                flask_db.session.remove()
                flask_db.engine.dispose()
        again = _cli(restored_url, "audit", "verify")
        assert again.returncode == 0, again.stderr
        assert f"审计校验通过：{events + 1} 条审计事件" in again.stdout

    # The source database did not see the restored installation's work.
    assert open_task(db, waiting).step == "village_evaluation"


def _complete_and_check(restored, case_id: int, events: int) -> None:
    """In the restored database: complete the waiting village step; the chain verifies with
    the new entry, and the append-only trigger came back with the restore."""
    with restored.app_context():
        session = flask_db.session
        procedures.forget_cached()
        task = open_task(session, case_id)
        assert task is not None and task.step == "village_evaluation"
        tasks.complete(session, accounts.by_username(session, WORKER[task.step]), task.id,
                       valid_step_data(task.form_key, "approve"),
                       now=TEST_NOW + timedelta(hours=2))
        assert session.get(HumanTask, task.id).completed_at is not None
        result = audit.verify(session)
        assert result.ok and result.events == events + 1, result.problem
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text("UPDATE audit_event SET action = 'x'"))
        session.rollback()
        procedures.forget_cached()
