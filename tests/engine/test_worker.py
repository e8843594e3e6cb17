"""The worker: timers fired exactly once across workers, reminders, 督办, crash safety."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from engine.casework import cases, escalation, overdue, timers
from engine.store.errors import Forbidden
from engine.store.models import AuditEvent, HumanTask, Notification
from engine.time import clock
from engine.workflow import spiff
from tests.factories import make_world, open_task, valid_application, walk
from web.extensions import db as flask_db


@pytest.fixture
def world(db):
    return make_world(db)


def start(world, at):
    return cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=at)


def test_two_workers_fire_each_due_timer_exactly_once(world):
    now = clock.now()
    ids = []
    for _ in range(6):
        case = start(world, now)
        walk(world, case.id, ["approve"], now)
        ids.append(case.id)
    factory = sessionmaker(flask_db.engine, expire_on_commit=False)
    results = []

    def work():
        with factory() as session:
            results.append(timers.run_pass(session, now + timedelta(days=8)))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.fired for r in results) == 6 and sum(r.failed for r in results) == 0
    world.db.expire_all()
    fired = world.db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "timer.fired"))
    assert fired == 6
    for case_id in ids:
        rows = world.db.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                        HumanTask.step == "township_review"))
        assert len(list(rows)) == 1


def test_a_worker_that_dies_mid_pass_loses_nothing(world, monkeypatch):
    now = clock.now()
    case = start(world, now)
    walk(world, case.id, ["approve"], now)

    def crash(wf, context=None):
        raise RuntimeError("killed")

    monkeypatch.setattr(spiff, "fire_timers", crash)
    result = timers.run_pass(world.db, now + timedelta(days=8))
    assert result.failed == 1 and open_task(world.db, case.id) is None
    monkeypatch.undo()
    # the failed attempt backs off: not retried at once, fired once its backoff has passed
    assert timers.run_pass(world.db, now + timedelta(days=8)).fired == 0
    retry = now + timedelta(days=8) + timers.backoff(1)
    assert timers.run_pass(world.db, retry).fired == 1
    assert open_task(world.db, case.id).step == "township_review"


def test_worker_cli_once_with_now_fires_the_notice(world, app, monkeypatch):
    from click.testing import CliRunner

    from web import cli

    now = clock.now()
    case = start(world, now)
    walk(world, case.id, ["approve"], now)
    monkeypatch.setattr(cli, "_app", lambda: app)
    runner = CliRunner()
    early = runner.invoke(cli.main, ["worker", "--once", "--now",
                                     (now + timedelta(days=3)).isoformat()])
    assert early.exit_code == 0 and "触发 0" in early.output
    late = runner.invoke(cli.main, ["worker", "--once", "--now",
                                    (now + timedelta(days=8)).isoformat()])
    assert late.exit_code == 0 and "触发 1" in late.output
    world.db.expire_all()
    assert open_task(world.db, case.id).step == "township_review"


def test_reminders_and_supervision_are_sent_once(world):
    now = clock.now()
    case = start(world, now)
    task = open_task(world.db, case.id)
    first = escalation.run_pass(world.db, now)
    assert first.announced == 1
    late = task.due_at + timedelta(hours=1)
    assert escalation.run_pass(world.db, task.due_at - timedelta(hours=2)).reminded == 1
    result = escalation.run_pass(world.db, late)
    assert result.escalated == 1
    assert escalation.run_pass(world.db, late) == escalation.EscalationResult(0, 0, 0)
    kinds = world.db.execute(select(Notification.kind, Notification.level)).all()
    assert sorted(kinds) == sorted([("new_task", "village"), ("due_soon", "village"),
                                    ("overdue", "village"), ("supervision", "township")])


def test_a_task_completed_before_the_announcing_pass_is_never_announced(world):
    now = clock.now()
    done = start(world, now)
    walk(world, done.id, ["approve"], now)  # village task completed, the notice running
    waiting = start(world, now)
    assert escalation.run_pass(world.db, now).announced == 1
    notified = world.db.scalars(select(Notification.case_id)).all()
    assert notified == [waiting.id]
    completed = world.db.scalar(select(HumanTask).where(HumanTask.case_id == done.id))
    assert completed.completed_at is not None and completed.announced_at is None


def test_overdue_lists_oldest_first_with_working_days(world, client):
    from engine.people import accounts

    now = clock.now()
    older = start(world, now - timedelta(days=30))
    newer = start(world, now - timedelta(days=12))
    items = overdue.overdue(world.db, world.user("dist"), now)
    assert [i.task.case_id for i in items] == [older.id, newer.id]
    assert items[0].working_days_overdue > items[1].working_days_overdue > 0
    with pytest.raises(Forbidden):
        overdue.overdue(world.db, world.user("town1"), now)
    summary = overdue.summary(world.db, world.user("admin"), now)
    assert [(s.step, s.org.code, s.count) for s in summary] == [("village_evaluation", "V11", 2)]
    token = accounts.issue_token(world.db, world.user("dist"))
    res = client.get("/api/overdue", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200
    assert [r["case_id"] for r in res.json] == [older.id, newer.id]
    assert {"level", "org", "working_days_overdue", "due_at"} <= set(res.json[0])
    assert res.json[0]["overdue"] is True
