"""The yearly review opened set-based (issue 16 point 5): 1,000 enrolled households get review
cases indistinguishable from those the one-by-one path opens, shared out in chunks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from engine.casework import bulk, cases, reviews
from engine.people import accounts
from engine.store import audit, chunks
from engine.store.models import (
    AuditEvent,
    Benefit,
    Case,
    CaseMember,
    Household,
    HumanTask,
    Job,
    JobChunk,
    OrgUnit,
    ProcedureVersion,
    ProcessInstance,
)
from engine.workflow import procedures, spiff
from tests.engine.test_dynamic import review_data
from tests.factories import make_world, valid_application
from tests.forms.samples import HEAD_BIRTH, make_id_number

HOUSEHOLDS = 1000
NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # Monday 1 June 2026, 10:00 in Beijing
EARLIER = NOW - timedelta(days=300)


def _application(n: int) -> dict:
    head = make_id_number(HEAD_BIRTH - timedelta(days=n // 50), n % 50, male=True)
    app = valid_application(head_id_number=head, head_name=f"户主{n}")
    app["members"][0].update(id_number=head, name=f"户主{n}")
    return app


def _enrol(db, villages: list[OrgUnit], count: int, start: int = 0) -> list[int]:
    """`count` enrolled households (household, approved identification case, benefit)."""
    version = procedures.newest_in_region(db, "linzi_identification", "D1")
    apps = [_application(start + n) for n in range(count)]
    where = [villages[n % len(villages)] for n in range(count)]
    homes = list(db.scalars(insert(Household).returning(
        Household.id, sort_by_parameter_order=True), [
        {"region_path": version.region.path, "org_path": v.path,
         "head_id_number": a["head_id_number"], "head_name": a["head_name"],
         "created_at": EARLIER} for a, v in zip(apps, where, strict=True)]))
    ids = list(db.scalars(insert(Case).returning(Case.id, sort_by_parameter_order=True), [
        {"procedure_version_id": version.id, "village_id": v.id, "org_path": v.path,
         "status": "approved", "applicant_name": a["head_name"], "household_size": 1,
         "application": a, "opened_at": EARLIER, "closed_at": EARLIER, "household_id": h}
        for a, v, h in zip(apps, where, homes, strict=True)]))
    db.execute(insert(Benefit), [
        {"case_id": c, "monthly_amount": Decimal("420.00"), "household_size": 1,
         "effective_from": date(2025, 8, 1), "source": "approval", "created_at": EARLIER}
        for c in ids])
    for case in db.scalars(select(Case).where(Case.id.in_(ids))):  # as if opened one by one
        audit.record(db, EARLIER, None, "case.opened", case=case, step="application",
                     changes={"application_sha256": audit.application_digest(case.application)})
    db.commit()
    return ids


def _task(db, case_id: int) -> HumanTask:
    return db.scalars(select(HumanTask).where(HumanTask.case_id == case_id)).one()


def _events(db, case_id: int) -> list[tuple]:
    return [(e.action, e.step, e.actor_name, e.comment, sorted((e.changes or {}).keys()))
            for e in db.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                .order_by(AuditEvent.id))]


def test_a_thousand_households_open_in_chunks_as_the_one_by_one_path_opens_them(
        db, client, monkeypatch):
    world = make_world(db)
    villages = list(db.scalars(select(OrgUnit).where(OrgUnit.level == "village")
                               .order_by(OrgUnit.code)))
    holders = _enrol(db, villages, HOUSEHOLDS)
    exited = holders[-1]  # an exit's 0 row: no review for that household
    db.add(Benefit(case_id=exited, monthly_amount=Decimal("0.00"), household_size=1,
                   effective_from=date(2026, 1, 1), source="exit:1", created_at=EARLIER))
    db.commit()
    review = procedures.newest_in_region(db, "linzi_review", "D1")
    # The reference: one household's review opened one by one, as a district official would.
    reference = cases.open_case(db, world.user("dist"), review, villages[0],
                                _application(HOUSEHOLDS + 1), "对照", NOW)
    db.commit()

    monkeypatch.setattr(reviews, "BATCH", 300)
    job = reviews.start_yearly(db, world.user("dist"), "D1", now=NOW)
    assert job.total == HOUSEHOLDS - 1
    first = reviews.run_batch(db, NOW)
    assert first == 300
    assert db.scalar(select(func.count()).select_from(JobChunk)
                     .where(JobChunk.job_id == job.id)) == 4  # 300, 300, 300, the rest
    # the set-based path, not the fallback
    assert bulk._templates[procedures.cache_generation(), id(db.get_bind()),
                           review.id] is not None
    while reviews.run_batch(db, NOW):
        pass
    db.expire_all()
    job = db.get(Job, job.id)
    assert (job.status, job.done, job.skipped) == ("done", HOUSEHOLDS - 1, 0)

    opened = list(db.scalars(select(Case).where(Case.procedure_version_id == review.id,
                                                Case.id != reference.id).order_by(Case.id)))
    assert len(opened) == HOUSEHOLDS - 1
    by_household = dict(db.execute(select(Case.household_id, Case.application)
                                   .where(Case.id.in_(holders))).all())
    expected_task = _task(db, reference.id)
    for case in opened:
        assert case.status == "running" and case.application == by_household[case.household_id]
        village = next(v for v in villages if v.id == case.village_id)
        assert case.org_path == village.path and case.due_at == reference.due_at
        assert case.applicant_name == case.application["head_name"]
        task = _task(db, case.id)
        assert (task.step, task.name, task.form_key, task.level, task.due_at, task.completed_at) \
            == (expected_task.step, expected_task.name, expected_task.form_key,
                expected_task.level, expected_task.due_at, None)
        assert task.org.code == {"V11": "V11", "V12": "V12", "V21": "V21"}[village.code]
        comment = f"{NOW.year}-{NOW.month:02d} 复核（批量发起，任务 {job.id}）"
        assert _events(db, case.id) == [("case.opened", "application", "dist", comment,
                                         ["application_sha256"])]
    assert _events(db, reference.id)[0][:3] == ("case.opened", "application", "dist")
    members = len(_application(0)["members"])  # the head among them
    assert db.scalar(select(func.count()).select_from(CaseMember).where(
        CaseMember.case_id == reference.id)) == members
    assert db.scalar(select(func.count()).select_from(CaseMember).where(
        CaseMember.case_id.in_([c.id for c in opened]))) == members * (HOUSEHOLDS - 1)
    # The stored workflow: the household's data, waiting at the task the row names.
    model = procedures.model_of(db.get(ProcedureVersion, review.id))
    sample = opened[123]
    instance = db.scalars(select(ProcessInstance).where(
        ProcessInstance.case_id == sample.id)).one()
    wf = spiff.load(instance.state, model)
    [ready] = spiff.ready_user_tasks(wf)
    assert str(ready.id) == _task(db, sample.id).workflow_task_id
    assert ready.data == sample.application and instance.next_timer_at is None
    assert len({_task(db, c.id).workflow_task_id for c in opened[:50]}) == 50
    moved = db.get(Household, sample.household_id)
    assert moved.org_path == sample.org_path

    # One of them is completed through the normal API, and the audit chain verifies.
    task = _task(db, sample.id)
    worker = {"V11": "vil11", "V12": "vil12", "V21": "vil21"}[task.org.code]
    token = accounts.issue_token(db, world.user(worker))
    done = client.post(f"/api/tasks/{task.id}/complete", json={"data": review_data()},
                       headers={"Authorization": f"Bearer {token}"})
    assert done.status_code == 200, done.get_json()
    db.expire_all()
    assert db.get(HumanTask, task.id).completed_at is not None
    nxt = db.scalar(select(HumanTask).where(HumanTask.case_id == sample.id,
                                            HumanTask.completed_at.is_(None)))
    assert nxt.step == "township_confirm"
    verified = audit.verify(db)
    assert verified.ok, verified.problem


def test_two_workers_claim_different_chunks(db):
    make_world(db)
    villages = list(db.scalars(select(OrgUnit).where(OrgUnit.level == "village")))
    _enrol(db, villages, 10)
    job = Job(kind="bulk_test", org_path="/D1/", total=10, created_at=NOW, params={})
    db.add(job)
    db.commit()
    assert chunks.plan(db, "bulk_test", lambda j: select(Case.id).order_by(Case.id), 4)
    first = chunks.claim(db, "bulk_test")
    assert first is not None and first[1].first_id == 1
    if db.get_bind().dialect.name == "postgresql":  # the second worker skips the held chunk
        from sqlalchemy.orm import Session

        with Session(db.get_bind()) as other:
            second = chunks.claim(other, "bulk_test")
            assert second is not None and second[1].id != first[1].id
            other.rollback()
    assert not chunks.close(db, first[0], first[1], 4, 0, NOW)
    db.commit()
    while (claimed := chunks.claim(db, "bulk_test")) is not None:
        chunks.close(db, *claimed, 3, 0, NOW)
        db.commit()
    db.expire_all()
    assert (db.get(Job, job.id).status, db.get(Job, job.id).done) == ("done", 10)
