"""Two officials completing (or claiming) one task at the same moment: exactly one wins."""

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from engine.casework import cases, tasks
from engine.people import accounts
from engine.store.errors import Conflict
from engine.store.models import AuditEvent, HumanTask
from engine.workflow import spiff
from tests.factories import make_world, open_task, valid_application, valid_step_data
from web.extensions import db as flask_db


@pytest.fixture
def world(db):
    return make_world(db)


def race(action, n=2):
    """Run `action(session, i)` in n threads, each with its own session; outcomes in order."""
    factory = sessionmaker(flask_db.engine, expire_on_commit=False)
    results: list = [None] * n

    def run(i):
        with factory() as session:
            try:
                results[i] = action(session, i)
            except Exception as exc:  # noqa: BLE001 - the outcome is what is asserted
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_concurrent_completions_one_wins_one_conflicts(world, monkeypatch):
    accounts.add_user(world.db, "vil11b", "village", "V11", "secret-pass-2")
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application())
    task_id = open_task(world.db, case.id).id
    officials = ("vil11", "vil11b")
    reached: list[str] = []  # who got as far as running the workflow
    both_ran = threading.Barrier(2, timeout=10)
    real_complete = spiff.complete
    who = threading.local()

    def complete_then_wait(wf, workflow_task_id, data, context=None):
        ok = real_complete(wf, workflow_task_id, data, context)
        reached.append(who.username)
        both_ran.wait()  # both have read and run the workflow before either writes
        return ok

    def attempt(session, i):
        who.username = officials[i]
        return tasks.complete(session, accounts.by_username(session, officials[i]), task_id,
                              valid_step_data("village_evaluation"))

    monkeypatch.setattr(spiff, "complete", complete_then_wait)
    outcomes = race(attempt)
    assert sorted(reached) == ["vil11", "vil11b"], outcomes
    winners = [o for o in outcomes if isinstance(o, tuple)]
    losers = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    world.db.expire_all()
    completed = world.db.scalars(select(HumanTask).where(HumanTask.case_id == case.id,
                                                         HumanTask.completed_at.is_not(None)))
    (done,) = completed
    assert done.completed_by_id == world.user(officials[outcomes.index(winners[0])]).id
    assert world.db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "task.completed")) == 1
    assert world.db.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.case_id == case.id)) == 1, "no duplicate rows opened for the next step"


def test_completing_an_already_completed_task_is_a_conflict(world):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application())
    task = open_task(world.db, case.id)
    tasks.complete(world.db, world.user("vil11"), task.id, valid_step_data("village_evaluation"))
    with pytest.raises(Conflict):
        tasks.complete(world.db, world.user("vil11"), task.id,
                       valid_step_data("village_evaluation"))


def test_a_task_claimed_by_someone_else_cannot_be_claimed_or_completed(world):
    accounts.add_user(world.db, "vil11b", "village", "V11", "secret-pass-2")
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application())
    task = open_task(world.db, case.id)
    tasks.claim(world.db, world.user("vil11"), task.id)
    with pytest.raises(Conflict):
        tasks.claim(world.db, world.user("vil11b"), task.id)
    with pytest.raises(Conflict):
        tasks.complete(world.db, world.user("vil11b"), task.id,
                       valid_step_data("village_evaluation"))
    tasks.unclaim(world.db, world.user("vil11"), task.id)
    assert tasks.claim(world.db, world.user("vil11b"), task.id).assignee.username == "vil11b"
