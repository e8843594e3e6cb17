"""Dynamic management (动态管理): households, yearly review, exit, gradual exit, re-entry."""

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.casework import cases, reviews, tasks, timers
from engine.money import benefits, households
from engine.people import accounts
from engine.store.errors import Conflict, Forbidden
from engine.store.models import Case, Household, Job
from engine.time import clock
from tests.factories import after_notice, make_world, open_task, valid_application, walk
from tests.forms.samples import HEAD_BIRTH, make_id_number

ALL_HAVE = ["ledger", "project", "cadre", "medical_team", "health_cover", "carer", "insurance",
            "education"]
ALL_STANDARDS = ["road", "water", "housing", "environment", "hygiene", "necessities",
                 "accessibility", "elderly"]


_HEADS = itertools.count(1)


def new_household(**overrides) -> dict:
    """A valid application of a household of its own (the engine opens one running case per
    household): for tests that start several cases at once."""
    head = make_id_number(HEAD_BIRTH - timedelta(days=next(_HEADS)), 7)
    return valid_application(head_id_number=head, **overrides)


@pytest.fixture
def world(db):
    return make_world(db)


def application(seq: int = 21, name: str = "王建国") -> dict:
    app = valid_application(head_name=name)
    head = make_id_number(HEAD_BIRTH, seq)
    app["head_id_number"] = head
    app["members"][0]["id_number"] = head
    app["members"][0]["name"] = name
    return app


def approved(world, at: datetime, app: dict | None = None) -> Case:
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       app or application(), now=at)
    after_notice(world.db, walk(world, case.id, ["approve"] * 5, at))
    world.db.refresh(case)
    assert case.status == "approved"
    return case


def review_data(conclusion: str = "continue", items: int = 16, **extra) -> dict:
    checklist = (ALL_HAVE + ALL_STANDARDS)[:items]
    data = {"home_visit": True, "income_changed": conclusion != "continue",
            "members_changed": False, "conclusion": conclusion,
            "eight_have": [i for i in checklist if i in ALL_HAVE],
            "eight_standards": [i for i in checklist if i in ALL_STANDARDS],
            "findings": "入户核查：家庭务工收入稳定。"}
    if conclusion == "exit":
        data["per_capita_income"] = 5000  # above Linzi's 4,300 standard
    data.update(extra)
    return data


def work_review(world, case_id: int, data: dict, at: datetime, confirm: str = "approve"):
    """Village verifies with `data`; if that reaches the township, it confirms."""
    task = open_task(world.db, case_id)
    assert task.step == "village_review"
    tasks.complete(world.db, world.user("vil11"), task.id, data, now=at)
    task = open_task(world.db, case_id)
    if task is not None and task.step == "township_confirm":
        body = {"decision": confirm}
        if confirm == "return":
            body["reason"] = "核查情况不清"
        tasks.complete(world.db, world.user("town1"), task.id, body,
                       now=at + timedelta(hours=1))
    world.db.expire_all()
    return world.db.get(Case, case_id)


def start_review(world, ident: Case, at: datetime) -> Case:
    return cases.start(world.db, world.user("clerk1"), "linzi_review", "V11", ident.application,
                       now=at)


def test_household_history_across_identification_exit_and_reentry(world):
    at = clock.now() - timedelta(days=400)
    first = approved(world, at)
    assert first.household_id is not None
    household = world.db.get(Household, first.household_id)
    assert household.head_id_number == first.application["head_id_number"]
    assert benefits.current(world.db, first.id).monthly_amount == 420.0

    review = start_review(world, first, at + timedelta(days=60))
    assert review.household_id == household.id
    review = work_review(world, review.id, review_data("exit"), at + timedelta(days=61))
    assert review.status == "exited"
    ended = benefits.current(world.db, first.id)
    assert (ended.monthly_amount, ended.source) == (0.0, f"exit:{review.id}")

    # falls back into poverty: a new identification, same household, history kept
    again = approved(world, at + timedelta(days=200))
    assert again.household_id == household.id
    assert world.db.scalar(select(Household.id).where(Household.id != household.id)) is None
    assert benefits.current(world.db, again.id).monthly_amount == 420.0
    assert benefits.current(world.db, first.id).monthly_amount == 0.0  # stays ended

    found, history = households.history(world.db, world.user("town1"), household.id)
    assert found.id == household.id
    assert [(c.id, c.procedure.key, c.status) for c in history] == [
        (first.id, "linzi_identification", "approved"),
        (review.id, "linzi_review", "exited"),
        (again.id, "linzi_identification", "approved"),
    ]
    assert [h.id for h in households.search(world.db, world.user("dist"), "王建")] == [
        household.id]
    assert households.search(world.db, world.user("vil21"), None) == []  # other village
    head_id = first.application["head_id_number"]
    assert [h.id for h in households.search(world.db, world.user("dist"), head_id.lower())] \
        == [household.id]
    for part in (head_id[:6], head_id[6:14], head_id[-4:]):  # digits alone find no one
        assert households.search(world.db, world.user("dist"), part) == []


def test_duplicate_running_case_of_a_household_refused(world):
    app = application()
    cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11", app)
    with pytest.raises(Conflict, match="正在办理"):
        cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11", app)
    other = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                        application(seq=22, name="赵大山"))
    assert other.household_id is not None
    assert cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       new_household()).household_id not in (None, other.household_id)


def test_exit_refused_without_the_full_checklist(world):
    at = clock.now() - timedelta(days=100)
    ident = approved(world, at)
    review = start_review(world, ident, at + timedelta(days=30))
    review = work_review(world, review.id, review_data("exit", items=15),
                         at + timedelta(days=31))
    assert review.status == "running"
    task = open_task(world.db, review.id)
    assert task.step == "village_review"  # back to the village, with the reason
    assert benefits.current(world.db, ident.id).monthly_amount == 420.0
    review = work_review(world, review.id, review_data("exit"), at + timedelta(days=32))
    assert review.status == "exited"


def test_continue_and_adjust_keep_the_household_in(world):
    at = clock.now() - timedelta(days=100)
    ident = approved(world, at)
    review = start_review(world, ident, at + timedelta(days=30))
    review = work_review(world, review.id, review_data("adjust", new_amount=300),
                         at + timedelta(days=31))
    assert review.status == "approved"
    current = benefits.current(world.db, ident.id)
    assert (current.monthly_amount, current.source) == (300.0, f"review:{review.id}")
    again = start_review(world, ident, at + timedelta(days=40))
    again = work_review(world, again.id, review_data("continue", items=3),
                        at + timedelta(days=41))
    assert again.status == "approved"
    assert benefits.current(world.db, ident.id).monthly_amount == 300.0


@pytest.mark.parametrize("bedridden, months", [(False, 12), (True, 24)])
def test_gradual_exit_keeps_the_benefit_until_the_phase_out_ends(world, bedridden, months):
    at = clock.now() - timedelta(days=30)
    ident = approved(world, at)
    review = start_review(world, ident, at + timedelta(days=1))
    decided = at + timedelta(days=2)
    review = work_review(world, review.id,
                         review_data("exit", gradual_exit=True, bedridden_member=bedridden),
                         decided)
    assert review.status == "running"
    assert benefits.current(world.db, ident.id).monthly_amount == 420.0
    timers.run_pass(world.db, decided + timedelta(days=30 * months - 20))
    world.db.expire_all()
    assert world.db.get(Case, review.id).status == "running"
    timers.run_pass(world.db, decided + timedelta(days=31 * (months + 1)))
    world.db.expire_all()
    assert world.db.get(Case, review.id).status == "exited"
    assert benefits.current(world.db, ident.id).monthly_amount == 0.0


def test_yearly_review_starts_one_case_per_active_household_in_batches(world, monkeypatch,
                                                                       client):
    at = clock.now() - timedelta(days=200)
    active = [approved(world, at, application(seq=30 + i, name=f"户主{i}")) for i in range(3)]
    gone = approved(world, at, application(seq=40, name="已退出"))
    review = start_review(world, gone, at + timedelta(days=10))
    assert work_review(world, review.id, review_data("exit"),
                       at + timedelta(days=11)).status == "exited"
    cases.start(world.db, world.user("clerk1"), "linzi_identification", "V12",
                application(seq=50, name="申请中"))  # not enrolled yet: not reviewed

    with pytest.raises(Forbidden):
        reviews.start_yearly(world.db, world.user("town1"), "D1")
    monkeypatch.setattr(reviews, "BATCH", 2)
    now = clock.now()
    job = reviews.start_yearly(world.db, world.user("dist"), "D1", now=now)
    assert (job.kind, job.total, job.status) == ("start_reviews", 3, "pending")
    with pytest.raises(Conflict):
        reviews.start_yearly(world.db, world.user("dist"), "D1", now=now)

    assert benefits.run_batch(world.db, now) == 0  # the recalculation worker leaves it alone
    assert reviews.run_batch(world.db, now) == 2
    world.db.refresh(job)
    assert (job.status, job.done) == ("running", 2)
    token = accounts.issue_token(world.db, world.user("dist"))
    progress = client.get(f"/api/jobs/{job.id}",
                          headers={"Authorization": f"Bearer {token}"}).json
    assert (progress["done"], progress["total"], progress["percent"]) == (2, 3, 66)
    assert reviews.run_jobs(world.db, now) == 1
    world.db.refresh(job)
    assert (job.status, job.done, job.skipped) == ("done", 3, 0)

    started = world.db.scalars(
        select(Case).options(joinedload(Case.procedure)).where(Case.opened_at == now)
        .order_by(Case.id).execution_options(populate_existing=True)).all()
    assert [c.household_id for c in started] == [c.household_id for c in active]
    assert all(c.procedure.key == "linzi_review" and c.status == "running" for c in started)
    assert {open_task(world.db, c.id).step for c in started} == {"village_review"}

    # a second run skips households whose review is still running
    again = reviews.start_yearly(world.db, world.user("admin"), "D1", now=now)
    reviews.run_jobs(world.db, now)
    world.db.refresh(again)
    assert (again.status, again.done, again.skipped) == ("done", 0, 3)

    history = client.get(f"/api/households/{active[0].household_id}",
                         headers={"Authorization": f"Bearer {token}"}).json
    assert [c["procedure"] for c in history["cases"]] == ["linzi_identification",
                                                         "linzi_review"]
    assert history["status"] == "running" and history["benefit"]["monthly_amount"] == 420.0
    town = accounts.issue_token(world.db, world.user("town1"))
    refused = client.post("/api/reviews/yearly", json={"region": "D1"},
                          headers={"Authorization": f"Bearer {town}"})
    assert refused.status_code == 403
    found = client.get("/api/households?q=户主1",
                       headers={"Authorization": f"Bearer {token}"}).json
    assert [h["id"] for h in found] == [active[1].household_id]
    assert world.db.scalar(select(Job.id).where(Job.status != "done")) is None


def test_ad_hoc_exit_case(world):
    at = clock.now() - timedelta(days=100)
    ident = approved(world, at)
    case = cases.start(world.db, world.user("vil11"), "linzi_exit", "V11",
                       {"head_id_number": ident.application["head_id_number"],
                        "exit_reason": "stable_out_of_poverty", "proposal_note": "务工收入稳定"},
                       now=at + timedelta(days=20))
    assert case.household_id == ident.household_id
    check = {"checked_on": "2026-02-20", "investigators": "张伟、刘芳",
             "exit_reason": "stable_out_of_poverty", "eight_have": ALL_HAVE,
             "findings": "务工收入稳定", "per_capita_income": 5000, "decision": "approve"}
    task = open_task(world.db, case.id)
    tasks.complete(world.db, world.user("town1"), task.id, check, now=at + timedelta(days=21))
    assert open_task(world.db, case.id).step == "township_check"  # 8 of 16: refused
    task = open_task(world.db, case.id)
    tasks.complete(world.db, world.user("town1"), task.id,
                   {**check, "exit_reason": "moved_away"}, now=at + timedelta(days=22))
    after_notice(world.db, at + timedelta(days=22))
    task = open_task(world.db, case.id)
    assert task.step == "district_confirm"
    tasks.complete(world.db, world.user("dist"), task.id,
                   {"decision": "approve", "exit_document": "临民退字〔2026〕7号"},
                   now=at + timedelta(days=31))
    world.db.expire_all()
    assert world.db.get(Case, case.id).status == "exited"
    assert benefits.current(world.db, ident.id).source == f"exit:{case.id}"
