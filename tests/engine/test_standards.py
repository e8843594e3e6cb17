"""Fuxin: adjusting the standard, published within 10 working days, top-ups recalculated."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine import benefits, calendar, cases, clock, procedures, tasks
from engine.errors import Forbidden
from engine.models import Benefit, Job
from tests.factories import ROOT, after_notice, make_world, open_task, valid_application, walk

FUXIN = ROOT / "bpmn" / "fuxin"
ADJUSTMENT = {"standard_monthly": 500, "previous_standard": 400, "effective_from": "2027-01-01",
              "document_no": "阜政发〔2026〕12号", "basis": "省定最低标准提高"}


@pytest.fixture
def world(db):
    w = make_world(db)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(FUXIN))
    return w


def approved_household(world, at: datetime) -> int:
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=at)
    after_notice(world.db, walk(world, case.id, ["approve"] * 5, at))
    world.db.refresh(case)
    assert case.status == "approved"
    return case.id


def test_publishing_a_new_standard_recalculates_every_household(world, client):
    now = clock.now()
    households = [approved_household(world, now - timedelta(days=60)) for _ in range(3)]
    first = {b.case_id: b for b in world.db.scalars(select(Benefit))}
    assert set(first) == set(households) and all(b.source == "approval" for b in first.values())

    dist = world.user("dist")
    case = cases.start(world.db, dist, "fuxin_standard_adjustment", "D1", ADJUSTMENT, now=now)
    review = open_task(world.db, case.id)
    assert (review.step, review.level) == ("review_standard", "district")
    tasks.complete(world.db, dist, review.id, {"opinion": "同意", "decision": "approve"}, now=now)
    publish = open_task(world.db, case.id)
    assert publish.step == "publish_standard"
    tenth = calendar.add_working_days(calendar.local_date(now), 10, db=world.db)
    assert publish.due_at == calendar.end_of_day(tenth)
    tasks.complete(world.db, dist, publish.id,
                   {"published_on": calendar.local_date(now).isoformat(), "channel": "市政府网站"},
                   now=now)
    world.db.refresh(case)
    assert case.status == "approved"
    job = world.db.scalar(select(Job))
    assert (job.total, job.status, job.case_id) == (3, "pending", case.id)

    assert benefits.run_jobs(world.db, now) == 3
    world.db.refresh(job)
    assert (job.status, job.done, job.skipped) == ("done", 3, 0)
    for case_id in households:
        new = benefits.current(world.db, case_id)
        old = first[case_id]
        expected = benefits.topup(500, old.per_capita_income, old.household_size)
        assert (new.monthly_amount, new.standard, new.source) == (expected, 500.0, f"job:{job.id}")
        assert new.effective_from.isoformat() == "2027-01-01"

    from engine import accounts
    token = accounts.issue_token(world.db, dist)
    res = client.get(f"/api/jobs/{job.id}", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200 and res.json["percent"] == 100 and res.json["done"] == 3


def test_topup_formula_is_the_gap_times_members_never_negative():
    assert benefits.topup(500, 2400, 3) == 900.0       # (500 − 200) × 3
    assert benefits.topup(500, 7200, 2) == 0.0          # income above the standard
    assert benefits.topup(433.33, 1000.01, 1) == 350.0   # 349.9958… rounds half up


def test_only_district_officials_may_start_a_standard_adjustment(world):
    with pytest.raises(Forbidden):
        cases.start(world.db, world.user("town1"), "fuxin_standard_adjustment", "D1", ADJUSTMENT)
