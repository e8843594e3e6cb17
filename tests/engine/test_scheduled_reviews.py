"""Reviews of enrolled households started by the worker in the months a procedure declares
(reviewMonths): Fuxin's yearly 复核 with its gradual exit, Jiangmen's half-yearly list."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine.casework import reviews, tasks, timers
from engine.money import benefits, standards
from engine.store.models import Benefit, Case, Job
from engine.workflow import procedures
from tests.engine.test_concurrency import race
from tests.engine.test_regions import BPMN, DAY, household, start, work, workflow_data
from tests.factories import make_world, open_task

ENROLLED = datetime(2026, 6, 1, 2, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 1, 1, tzinfo=UTC)  # 09:00 in Beijing
CHECK = {"checked_on": DAY, "investigators": "张伟、刘芳", "home_visit": True}


@pytest.fixture
def world(db):
    w = make_world(db, deploy=False)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "fuxin"))
    # one region, one standard: Fuxin's (Jiangmen's starting figure would be newer)
    jiangmen = procedures.read_bundle_dir(BPMN / "jiangmen")
    jiangmen.pop("standards.csv")
    procedures.deploy(db, None, "D1", jiangmen)
    return w


def enrolled(world, key: str, application: dict | None = None) -> Case:
    case = start(world, key, application, at=ENROLLED)
    work(world, case, at=ENROLLED)
    world.db.refresh(case)
    assert case.status == "approved"
    return case


def review_cases(db, key: str) -> list[Case]:
    return list(db.scalars(select(Case).join(Case.procedure).where(
        Case.procedure.has(key=key)).order_by(Case.id)))


def started(world, key: str, at: datetime) -> list[Case]:
    """Run the worker's share at `at`: scheduled starts, then the batches."""
    reviews.start_scheduled(world.db, at)
    reviews.run_jobs(world.db, at)
    return review_cases(world.db, key)


def complete(world, case: Case, username: str, data: dict, at: datetime) -> None:
    task = open_task(world.db, case.id)
    tasks.complete(world.db, world.user(username), task.id, data, now=at)


# ---------------------------------------------------------------- scheduling


def test_reviews_start_in_their_declared_months_once_per_region(world):
    db = world.db
    households = [enrolled(world, "fuxin_identification") for _ in range(2)]
    assert reviews.start_scheduled(db, datetime(2026, 11, 30, 1, tzinfo=UTC)) == []

    jobs = reviews.start_scheduled(db, DECEMBER)
    assert [(j.params["procedure_key"], j.total, j.params["actor_id"]) for j in jobs] == [
        ("fuxin_review", 2, None)]  # Jiangmen's list adjustment is due in January and July
    assert reviews.start_scheduled(db, DECEMBER + timedelta(days=5)) == []  # once a month
    reviews.run_jobs(db, DECEMBER)
    opened = review_cases(db, "fuxin_review")
    assert [c.household_id for c in opened] == [h.household_id for h in households]
    assert {open_task(db, c.id).step for c in opened} == {"township_recheck"}

    january = reviews.start_scheduled(db, datetime(2027, 1, 4, 1, tzinfo=UTC))
    assert [j.params["procedure_key"] for j in january] == ["jiangmen_list_adjustment"]
    reviews.run_jobs(db, datetime(2027, 1, 4, 1, tzinfo=UTC))
    july = reviews.start_scheduled(db, datetime(2027, 7, 1, 1, tzinfo=UTC))
    assert [j.params["procedure_key"] for j in july] == ["jiangmen_list_adjustment"]


def test_a_review_started_by_hand_this_month_stands_for_the_scheduled_one(world):
    enrolled(world, "fuxin_identification")
    reviews.start_yearly(world.db, world.user("dist"), "D1", "fuxin_review", now=DECEMBER)
    assert reviews.start_scheduled(world.db, DECEMBER + timedelta(days=1)) == []


def test_two_workers_racing_queue_one_review(world, monkeypatch):
    """Two workers, each in its own thread and session, both pass the 'already started?'
    check before either writes; the job's unique key lets exactly one of them queue it.
    (PostgreSQL runs them truly in parallel; SQLite serializes the writes, and the outcome
    must be the same.)"""
    enrolled(world, "fuxin_identification")
    checked = threading.Barrier(2, timeout=10)
    real_check, real_queue = reviews._started_this_month, reviews._queue
    queuing: list[str] = []

    def check_then_wait(*args):
        started_already = real_check(*args)
        checked.wait()  # both workers have looked before either queues
        return started_already

    def queue(*args, **kwargs):
        queuing.append(threading.current_thread().name)
        return real_queue(*args, **kwargs)

    monkeypatch.setattr(reviews, "_started_this_month", check_then_wait)
    monkeypatch.setattr(reviews, "_queue", queue)
    outcomes = race(lambda session, _i: reviews.start_scheduled(session, DECEMBER))
    assert len(set(queuing)) == 2, outcomes  # both really tried to queue it
    assert sorted(len(o) for o in outcomes) == [0, 1], outcomes
    world.db.expire_all()
    (job,) = world.db.scalars(select(Job)).all()
    assert (job.params["procedure_key"], job.params["period"]) == ("fuxin_review", "2026-12")

    monkeypatch.setattr(reviews, "_started_this_month", lambda *args: False)
    reviews.run_jobs(world.db, DECEMBER)  # the job is done, so only the key stops a third
    assert reviews.start_scheduled(world.db, DECEMBER + timedelta(hours=1)) == []
    assert world.db.scalar(select(func.count()).select_from(Job)) == 1


# ---------------------------------------------------------------- Fuxin's yearly review


def test_fuxin_review_of_a_household_still_below_the_standard_adjusts_its_topup(world):
    db = world.db
    case = enrolled(world, "fuxin_identification")
    assert benefits.current(db, case.id).monthly_amount == Decimal("283.33")
    (review,) = started(world, "fuxin_review", DECEMBER)
    incomes = [{"category": "wages", "amount": 3000.0}]
    complete(world, review, "town1", {**CHECK, "economic_check": "consistent",
                                      "incomes": incomes, "escaped_through_project": False},
             DECEMBER)
    task = open_task(db, review.id)
    assert (task.step, task.level) == ("county_confirm", "district")
    assert workflow_data(db, review)["eligible"] is True
    complete(world, review, "dist", {"decision": "approve"}, DECEMBER)
    db.refresh(review)
    assert review.status == "approved"
    now = benefits.current(db, case.id)
    # per-capita 1000/yr: (3400 / 12 − 1000 / 12) × 3 = 600, rounded once at the end
    assert (now.monthly_amount, now.source) == (Decimal("600.00"), f"review:{review.id}")
    assert (now.facts["income_wages"], now.per_capita_income) == (3000.0, 1000.0)


def test_fuxin_gradual_exit_keeps_the_guarantee_two_years_with_a_bedridden_member(world):
    db = world.db
    case = enrolled(world, "fuxin_identification", household(
        [{"category": "wages", "amount": 6000.0}], disability_grade="1"))
    (review,) = started(world, "fuxin_review", DECEMBER)
    complete(world, review, "town1", {**CHECK, "economic_check": "consistent",
                                      "incomes": [{"category": "business", "amount": 30000.0}],
                                      "escaped_through_project": True}, DECEMBER)
    data = workflow_data(db, review)
    assert (data["eligible"], data["phase_out_months"]) == (False, 24)
    complete(world, review, "dist", {"decision": "approve"}, DECEMBER)
    before = benefits.current(db, case.id).monthly_amount
    assert before > 0

    timers.run_pass(db, DECEMBER + timedelta(days=700))  # 23 months: still guaranteed
    db.refresh(review)
    assert review.status == "running"
    assert benefits.current(db, case.id).monthly_amount == before
    timers.run_pass(db, DECEMBER + timedelta(days=732))
    db.refresh(review)
    assert review.status == "exited"
    ended = benefits.current(db, case.id)
    assert (ended.monthly_amount, ended.source) == (0.0, f"exit:{review.id}")


def test_fuxin_household_out_of_poverty_by_other_means_exits_at_once(world):
    db = world.db
    case = enrolled(world, "fuxin_identification")
    (review,) = started(world, "fuxin_review", DECEMBER)
    complete(world, review, "town1", {**CHECK, "economic_check": "inconsistent",
                                      "incomes": [{"category": "wages", "amount": 30000.0}],
                                      "escaped_through_project": False}, DECEMBER)
    assert workflow_data(db, review)["phase_out_months"] == 0
    complete(world, review, "dist", {"decision": "approve"}, DECEMBER)
    db.refresh(review)
    assert review.status == "exited"
    assert benefits.current(db, case.id).monthly_amount == 0.0


def test_fuxin_review_returned_by_the_county_goes_back_to_the_township(world):
    db = world.db
    enrolled(world, "fuxin_identification")
    (review,) = started(world, "fuxin_review", DECEMBER)
    complete(world, review, "town1", {**CHECK, "economic_check": "consistent", "incomes": [],
                                      "escaped_through_project": False}, DECEMBER)
    complete(world, review, "dist", {"decision": "return", "reason": "收入漏报"}, DECEMBER)
    assert open_task(db, review.id).step == "township_recheck"


# ---------------------------------------------------------------- Jiangmen's half-yearly list


def test_jiangmen_list_adjustment_keeps_an_eligible_household_with_the_new_amount(world):
    db = world.db
    standards.add(db, "D1", "2018-01-01", 800, "month")  # Jiangmen's, newer than Fuxin's
    case = enrolled(world, "jiangmen_identification")
    january = datetime(2027, 1, 4, 1, tzinfo=UTC)
    (review,) = started(world, "jiangmen_list_adjustment", january)
    complete(world, review, "town1", {**CHECK, "area": "town", "members_able_to_work_now": 0,
                                      "incomes": [{"category": "wages", "amount": 21600.0}]},
             january)
    data = workflow_data(db, review)
    assert (data["scheme"], data["area_scheme"], data["proposed_amount"]) == (
        "dibao_guarantee", "城镇低保", 600.0)  # 600/month each: (800 − 600) × 3, no floor
    complete(world, review, "dist", {"decision": "approve"}, january)
    db.refresh(review)
    assert review.status == "approved"
    assert benefits.current(db, case.id).monthly_amount == 600.0


def test_jiangmen_household_leaving_the_list_keeps_its_benefit_six_months(world):
    db = world.db
    case = enrolled(world, "jiangmen_identification")
    amount = benefits.current(db, case.id).monthly_amount
    july = datetime(2027, 7, 1, 1, tzinfo=UTC)
    (review,) = started(world, "jiangmen_list_adjustment", july)
    complete(world, review, "town1", {**CHECK, "area": "village", "members_able_to_work_now": 2,
                                      "incomes": [{"category": "wages", "amount": 40000.0}]},
             july)
    complete(world, review, "dist", {"decision": "approve"}, july)
    assert open_task(db, review.id) is None
    timers.run_pass(db, july + timedelta(days=170))
    assert open_task(db, review.id) is None
    assert benefits.current(db, case.id).monthly_amount == amount  # kept for six months
    timers.run_pass(db, july + timedelta(days=185))
    task = open_task(db, review.id)
    assert (task.step, task.level) == ("exit_confirmation", "district")
    at = july + timedelta(days=186)
    tasks.complete(db, world.user("dist"), task.id, {"decision": "approve"}, now=at)
    db.refresh(review)
    assert review.status == "exited"
    assert db.scalar(select(Benefit).where(Benefit.case_id == case.id)
                     .order_by(Benefit.id.desc()).limit(1)).monthly_amount == 0.0
