"""Every exit stops the benefit (动态管理, 应退尽退): in every bundle, a household walked out by
any exit path has its benefit ended, and its page (GET /api/households/{id}) says so; a
household a review keeps keeps its benefit. Dates are fixed (2026, on the shipped calendar)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine.casework import cases, reviews, tasks
from engine.money import benefits
from engine.people import accounts
from engine.store.errors import BundleInvalid, Invalid
from engine.store.models import Case, Household
from engine.workflow import procedures
from tests.engine.test_regions import BPMN, DAY, deployed, household, start, work
from tests.factories import LINZI, after_notice, make_world, open_task, walk
from tests.forms.samples import HEAD_BIRTH, make_id_number, valid_application

AT = datetime(2026, 3, 2, 2, tzinfo=UTC)  # a Monday, 10:00 in Beijing
CHECK = {"checked_on": DAY, "investigators": "张伟、刘芳", "home_visit": True}


@pytest.fixture
def world(db):
    """One county's bundle per test, deployed on first use: a region has one standard."""
    return make_world(db, deploy=False)


def page(world, client, case: Case) -> dict:
    """The household's page as the district official sees it."""
    token = accounts.issue_token(world.db, world.user("dist"))
    answer = client.get(f"/api/households/{case.household_id}",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    return answer.json


def enrolled(world, key: str, application: dict | None = None) -> Case:
    case = start(world, key, application, at=AT)
    work(world, case, at=AT)
    world.db.refresh(case)
    assert case.status == "approved"
    return case


def assert_exited(world, client, ident: Case, exit_case: Case) -> None:
    world.db.refresh(exit_case)
    assert exit_case.status == "exited"
    assert exit_case.household_id == ident.household_id
    ended = benefits.current(world.db, ident.id)
    assert (ended.monthly_amount, ended.source) == (0.0, f"exit:{exit_case.id}")
    shown = page(world, client, ident)
    assert shown["status"] == "exited"
    assert (shown["benefit"]["monthly_amount"], shown["benefit"]["source"],
            shown["benefit"]["ended"]) == (0.0, f"exit:{exit_case.id}", True)


def assert_kept(world, client, ident: Case, amount: Decimal) -> None:
    shown = page(world, client, ident)
    assert (shown["status"], shown["benefit"]["ended"]) == ("active", False)
    assert Decimal(str(shown["benefit"]["monthly_amount"])) == amount == benefits.current(
        world.db, ident.id).monthly_amount


# ---------------------------------------------------------------- Linzi


def linzi_enrolled(world) -> Case:
    deployed(world, "linzi_identification")
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=AT)
    after_notice(world.db, walk(world, case.id, ["approve"] * 5, AT))
    world.db.refresh(case)
    assert case.status == "approved"
    return case


def exit_proposal(ident: Case, reason: str = "moved_away") -> dict:
    """An exit names the household on the roll (its head's ID number), not its application."""
    return {"head_id_number": ident.application["head_id_number"], "exit_reason": reason,
            "proposal_note": "全家迁往外省"}


def test_linzi_exit_ends_the_benefit(world, client):
    ident = linzi_enrolled(world)
    assert page(world, client, ident)["status"] == "active"
    at = AT + timedelta(days=60)
    exit_case = cases.start(world.db, world.user("vil11"), "linzi_exit", "V11",
                            exit_proposal(ident), now=at)
    tasks.complete(world.db, world.user("town1"), open_task(world.db, exit_case.id).id,
                   {"checked_on": DAY, "investigators": "张伟、刘芳", "exit_reason": "moved_away",
                    "findings": "全家迁往外省", "decision": "approve"}, now=at)
    at = after_notice(world.db, at)
    tasks.complete(world.db, world.user("dist"), open_task(world.db, exit_case.id).id,
                   {"decision": "approve", "exit_document": "临民退字〔2026〕5号"},
                   now=at + timedelta(hours=1))
    assert_exited(world, client, ident, exit_case)


def test_linzi_review_that_keeps_the_household_keeps_its_benefit(world, client):
    ident = linzi_enrolled(world)
    amount = benefits.current(world.db, ident.id).monthly_amount
    at = AT + timedelta(days=60)
    review = cases.start(world.db, world.user("clerk1"), "linzi_review", "V11",
                         ident.application, now=at)
    tasks.complete(world.db, world.user("vil11"), open_task(world.db, review.id).id,
                   {"home_visit": True, "income_changed": False, "members_changed": False,
                    "conclusion": "continue", "findings": "情况无变化"}, now=at)
    task = open_task(world.db, review.id)
    assert task.level == "township"
    tasks.complete(world.db, world.user("town1"), task.id, {"decision": "approve"}, now=at)
    world.db.refresh(review)
    assert review.status == "approved"
    assert_kept(world, client, ident, amount)


# ---------------------------------------------------------------- Fuxin (yearly review)


DECEMBER = datetime(2026, 12, 1, 1, tzinfo=UTC)


def fuxin_review(world, ident: Case, incomes: list[dict], economic_check: str) -> Case:
    reviews.start_yearly(world.db, world.user("dist"), "D1", "fuxin_review", now=DECEMBER)
    reviews.run_jobs(world.db, DECEMBER)
    review = world.db.scalar(select(Case).where(Case.household_id == ident.household_id,
                                                Case.status == "running"))
    tasks.complete(world.db, world.user("town1"), open_task(world.db, review.id).id,
                   {**CHECK, "economic_check": economic_check, "incomes": incomes,
                    "escaped_through_project": False}, now=DECEMBER)
    tasks.complete(world.db, world.user("dist"), open_task(world.db, review.id).id,
                   {"decision": "approve"}, now=DECEMBER + timedelta(hours=1))
    world.db.refresh(review)
    return review


def test_fuxin_review_exit_ends_the_benefit(world, client):
    ident = enrolled(world, "fuxin_identification")
    review = fuxin_review(world, ident, [{"category": "wages", "amount": 30000.0}],
                          "inconsistent")
    assert_exited(world, client, ident, review)


def test_fuxin_review_that_keeps_the_household_keeps_a_benefit(world, client):
    ident = enrolled(world, "fuxin_identification")
    review = fuxin_review(world, ident, [{"category": "wages", "amount": 3000.0}], "consistent")
    assert review.status == "approved"
    shown = page(world, client, ident)
    assert shown["status"] == "active" and shown["benefit"]["monthly_amount"] > 0
    assert shown["benefit"]["source"] == f"review:{review.id}"


# ---------------------------------------------------------------- Jiangmen


def jiangmen_exit_report(ident: Case, **changes) -> dict:
    return {"head_name": ident.application["head_name"],
            "head_id_number": ident.application["head_id_number"], "household_size": 3,
            "per_capita_income_now": 11000, "escape_route": "employment", **changes}


def test_jiangmen_exit_ends_the_benefit_after_six_months(world, client):
    db = world.db
    ident = enrolled(world, "jiangmen_identification")
    amount = benefits.current(db, ident.id).monthly_amount
    at = AT + timedelta(days=40)
    exit_case = cases.start(db, world.user("clerk1"), "jiangmen_exit", "V11",
                            jiangmen_exit_report(ident), now=at)
    tasks.complete(db, world.user("town1"), open_task(db, exit_case.id).id,
                   {"verified_on": DAY, "decision": "approve"}, now=at)
    after_notice(db, at + timedelta(days=170))  # still inside the six months
    shown = page(world, client, ident)
    assert shown["status"] == "running"
    assert Decimal(str(shown["benefit"]["monthly_amount"])) == amount
    after_notice(db, at + timedelta(days=180))
    task = open_task(db, exit_case.id)
    assert task.step == "exit_confirmation"
    tasks.complete(db, world.user("dist"), task.id, {"decision": "approve"},
                   now=at + timedelta(days=190))
    assert_exited(world, client, ident, exit_case)


def test_jiangmen_exit_refused_by_the_township_keeps_the_benefit(world, client):
    db = world.db
    ident = enrolled(world, "jiangmen_identification")
    amount = benefits.current(db, ident.id).monthly_amount
    at = AT + timedelta(days=40)
    exit_case = cases.start(db, world.user("clerk1"), "jiangmen_exit", "V11",
                            jiangmen_exit_report(ident), now=at)
    tasks.complete(db, world.user("town1"), open_task(db, exit_case.id).id,
                   {"verified_on": DAY, "decision": "reject", "reason": "收入不稳定"}, now=at)
    db.refresh(exit_case)
    assert exit_case.status == "rejected"
    assert_kept(world, client, ident, amount)


def test_an_exit_of_a_household_without_a_benefit_is_refused_and_changes_nothing(world):
    db = world.db
    ident = enrolled(world, "jiangmen_identification")
    stranger = make_id_number(HEAD_BIRTH - timedelta(days=400), 9)
    before = (db.scalar(select(func.count()).select_from(Case)),
              db.scalar(select(func.count()).select_from(Household)))
    with pytest.raises(Invalid) as refused:
        cases.start(db, world.user("clerk1"), "jiangmen_exit", "V11",
                    jiangmen_exit_report(ident, head_id_number=stranger), now=AT)
    assert "head_id_number" in refused.value.fields
    assert (db.scalar(select(func.count()).select_from(Case)),
            db.scalar(select(func.count()).select_from(Household))) == before


def test_jiangmen_list_adjustment_exit_ends_the_benefit(world, client):
    db = world.db
    ident = enrolled(world, "jiangmen_identification")
    july = datetime(2026, 7, 1, 1, tzinfo=UTC)
    reviews.start_scheduled(db, july)
    reviews.run_jobs(db, july)
    review = db.scalar(select(Case).where(Case.household_id == ident.household_id,
                                          Case.status == "running"))
    tasks.complete(db, world.user("town1"), open_task(db, review.id).id,
                   {**CHECK, "area": "village", "members_able_to_work_now": 2,
                    "incomes": [{"category": "wages", "amount": 40000.0}]}, now=july)
    tasks.complete(db, world.user("dist"), open_task(db, review.id).id, {"decision": "approve"},
                   now=july)
    after_notice(db, july + timedelta(days=185))
    tasks.complete(db, world.user("dist"), open_task(db, review.id).id, {"decision": "approve"},
                   now=july + timedelta(days=186))
    assert_exited(world, client, ident, review)


# ---------------------------------------------------------------- generic chain


def test_generic_exit_ends_the_benefit(world, client):
    db = world.db
    # no member able to work: the generic table puts the household under dibao, with a top-up
    ident = enrolled(world, "generic_poverty_registration",
                     household([{"category": "business", "amount": 6800.0}], labour="partial"))
    assert benefits.current(db, ident.id).monthly_amount > 0
    at = AT + timedelta(days=120)
    exit_case = start(world, "generic_exit", exit_proposal(ident), at=at)
    steps, _ = work(world, exit_case, at=at)
    assert steps == ["group_evaluation", "township_check", "district_approval"]
    assert_exited(world, client, ident, exit_case)


# ---------------------------------------------------------------- the convention, for new counties


def test_deploy_refuses_an_exit_whose_start_form_does_not_name_the_household(world):
    files = procedures.read_bundle_dir(BPMN / "jiangmen")
    form = files["forms/jiangmen_exit_report.yaml"].decode()
    lines = form.splitlines()
    at = lines.index("  - name: head_id_number")
    cut = "\n".join(lines[:at] + lines[at + 5:]) + "\n"
    assert "head_id_number" not in cut
    with pytest.raises(BundleInvalid) as refused:
        procedures.deploy(world.db, None, "D1",
                          {**files, "forms/jiangmen_exit_report.yaml": cut.encode()})
    problems = refused.value.fields["files"]
    assert any("jiangmen_exit" in p and "head_id_number" in p for p in problems)
    linzi = procedures.read_bundle_dir(LINZI)  # processes without an exit need no such field
    assert procedures.deploy(world.db, None, "D1", linzi)
