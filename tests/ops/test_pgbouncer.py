"""The app behind PgBouncer in transaction mode (docs/operations.md): with YIMEN_DB_POOLED set
the engine makes no server-side prepared statements, and two clients complete tasks at once
while PgBouncer moves their transactions between fewer server connections than clients.
PostgreSQL only; there a missing pgbouncer fails the test (tests/install_pgbouncer.sh)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.casework import cases
from engine.people import accounts
from engine.store import audit
from engine.store.models import HumanTask
from tests.conftest import PG_URL, TEST_NOW
from tests.factories import make_world, open_task, valid_application, valid_step_data
from tests.ops.pg_tools import pgbouncer
from web import create_app
from web.extensions import db as flask_db

PER_CLIENT = 4
SOME_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:6432/yimen"  # never connected to


def _waiting_tasks(db, count: int) -> tuple[list[int], str, str]:
    """`count` cases waiting at the village step, its form, and the village worker's token."""
    world = make_world(db)
    waiting = []
    for i in range(count):
        case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                           valid_application(), now=TEST_NOW + timedelta(minutes=i))
        waiting.append(open_task(db, case.id))
    token = accounts.issue_token(db, world.user("vil11"))
    db.commit()
    return [t.id for t in waiting], waiting[0].form_key, token


def _work(app, task_ids: list[int], data: dict, token: str, statuses: list) -> None:
    """One client: reads its inbox, then claims and completes its tasks over the REST API; the
    statuses (or the exception that stopped it) go into `statuses`.

    Only committing requests after the first: a read-only request ends in ROLLBACK, which
    makes psycopg forget its statement counts, so it is the writes that reach psycopg's
    threshold (5 uses) for a server-side prepare."""
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    try:
        statuses.append(client.get("/api/tasks", headers=auth).status_code)
        for task_id in task_ids:
            statuses.append(client.post(f"/api/tasks/{task_id}/claim", headers=auth)
                            .status_code)
            statuses.append(client.post(f"/api/tasks/{task_id}/complete", headers=auth,
                                        json={"data": data}).status_code)
    except Exception as err:  # noqa: BLE001 - reported by the test, not lost in the thread
        statuses.append(repr(err))


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: YIMEN_TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_two_app_servers_complete_tasks_through_pgbouncer(app, db):
    """Two apps (as two gunicorn workers: each its own connection pool) share PgBouncer's one
    server connection; without pooled mode their psycopg connections would both prepare
    `_pg3_0` on it and fail with DuplicatePreparedStatement."""
    task_ids, form_key, token = _waiting_tasks(db, 2 * PER_CLIENT)
    data = valid_step_data(form_key, "approve")
    statuses: list[list] = [[], []]
    with pgbouncer(PG_URL) as pooled_url:
        servers = [create_app({"SQLALCHEMY_DATABASE_URI": pooled_url, "TESTING": True,
                               "SECRET_KEY": "test", "YIMEN_DB_POOLED": True})
                   for _ in range(2)]
        try:
            with servers[0].app_context():
                raw = flask_db.engine.raw_connection()
                assert raw.driver_connection.prepare_threshold is None
                raw.close()
            clients = [threading.Thread(target=_work, args=(server, task_ids[n::2], data,
                                                            token, statuses[n]))
                       for n, server in enumerate(servers)]
            for client in clients:
                client.start()
            for client in clients:
                client.join(timeout=120)
        finally:
            for server in servers:
                with server.app_context():
                    flask_db.engine.dispose()
    assert statuses == [[200] * (1 + 2 * PER_CLIENT)] * 2
    db.expire_all()
    done = db.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.id.in_(task_ids), HumanTask.completed_at.is_not(None)))
    assert done == len(task_ids)
    assert audit.verify(db).ok


def test_pooled_mode_is_off_by_default_and_set_from_the_environment(monkeypatch):
    monkeypatch.delenv("YIMEN_DB_POOLED", raising=False)
    plain = create_app({"SQLALCHEMY_DATABASE_URI": SOME_PG_URL, "SECRET_KEY": "test"})
    assert "connect_args" not in plain.config["SQLALCHEMY_ENGINE_OPTIONS"]
    monkeypatch.setenv("YIMEN_DB_POOLED", "1")
    pooled = create_app({"SQLALCHEMY_DATABASE_URI": SOME_PG_URL, "SECRET_KEY": "test"})
    assert pooled.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {
        "prepare_threshold": None}
