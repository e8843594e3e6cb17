"""The monthly statistics (统计月报) of a region: roll by category, new entries, exits, gradual
exits (渐退), top-ups, steps with their time taken and the overdue share. Jiangmen on D1 (its
standard 800 a month); every instant is fixed and every figure worked out in the comments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from engine.casework import cases, tasks, timers
from engine.money import monthly
from engine.people import accounts
from engine.store.errors import Forbidden, NotFound
from engine.workflow import procedures
from tests.engine.test_regions import BPMN, FORM_DATA, household, start
from tests.engine.test_stats import enrol
from tests.factories import after_notice, make_world, open_task
from tests.forms.samples import HEAD_BIRTH, make_id_number

NOW = datetime(2026, 11, 30, 2, tzinfo=UTC)
EXIT_AT = datetime(2026, 4, 11, 2, tzinfo=UTC)


@pytest.fixture
def world(db):
    w = make_world(db, deploy=False)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "jiangmen"))
    return w


def story(world) -> dict:
    """A (village, 150.00) and B (town, 600.00) approved on 2026-03-10; C waits at the
    district from 2026-03-31; B exits through Jiangmen's six months of kept benefit."""
    db = world.db
    a = enrol(world, 1, 27000.0, "village")  # (800 − 750) × 3 = 150.00
    b = enrol(world, 2, 21600.0, "town")  # (800 − 600) × 3 = 600.00
    app = household([{"category": "wages", "amount": 21600.0}], labour="none")
    app["head_id_number"] = app["members"][0]["id_number"] = make_id_number(
        HEAD_BIRTH - timedelta(days=3), 5)
    c = start(world, "jiangmen_identification", app, at=datetime(2026, 3, 20, 2, tzinfo=UTC))
    # the township takes 3.5 days over C
    tasks.complete(db, world.user("town1"), open_task(db, c.id).id,
                   {**FORM_DATA["jiangmen_investigation"], "decision": "approve"},
                   now=datetime(2026, 3, 23, 14, tzinfo=UTC))
    after_notice(db, datetime(2026, 3, 23, 14, tzinfo=UTC))  # district step opens 03-31 14:00
    report = {"head_name": b.application["head_name"], "household_size": 3,
              "head_id_number": b.application["head_id_number"],
              "per_capita_income_now": 20000, "escape_route": "employment"}
    out = cases.start(db, world.user("clerk1"), "jiangmen_exit", "V11", report, now=EXIT_AT)
    tasks.complete(db, world.user("town1"), open_task(db, out.id).id,
                   {**FORM_DATA["jiangmen_exit_review"], "decision": "approve"}, now=EXIT_AT)
    return {"a": a, "b": b, "c": c, "exit": out}


def end_exit(world, out) -> None:
    """The six months run out on 2026-10-11; the worker opens the district step on 10-12 and
    the district confirms the exit 2.5 days later, on 2026-10-14 (22:00 Beijing time)."""
    db = world.db
    timers.run_pass(db, datetime(2026, 10, 12, 2, tzinfo=UTC))
    tasks.complete(db, world.user("dist"), open_task(db, out.id).id,
                   {**FORM_DATA["jiangmen_exit_confirmation"], "decision": "approve"},
                   now=datetime(2026, 10, 14, 14, tzinfo=UTC))
    db.refresh(out)
    assert out.status == "exited"


def test_march_two_new_households_and_the_steps(world):
    story(world)
    found = monthly.report(world.db, world.user("dist"), "D1", "2026-03", now=NOW)
    assert (found.month, found.first, found.on) == ("2026-03", date(2026, 3, 1),
                                                    date(2026, 3, 31))
    # A and B, 3 persons each; both decided 分类施保 serious_illness by Jiangmen's table
    assert (found.whole.households, found.whole.persons, found.whole.amount_total) == (
        2, 6, Decimal("750.00"))
    assert found.by_category == [monthly.Group("serious_illness", 2, 6, Decimal("750.00"))]
    assert (found.new.households, found.new.persons) == (2, 6)
    assert (found.exited.households, found.gradual_exit) == (0, 0)
    steps = {s.step: s for s in found.steps}
    # investigations: A and B an hour each, C 3.5 days: (1/24 + 1/24 + 3.5) / 3 = 1.194… → 1.2
    assert (steps["township_investigation"].completed, steps["township_investigation"].open,
            steps["township_investigation"].avg_days) == (3, 0, Decimal("1.2"))
    # district: A and B an hour each (0.04 → 0.0), C opened 03-31 and still open at month end
    assert (steps["district_confirmation"].completed, steps["district_confirmation"].open,
            steps["district_confirmation"].avg_days) == (2, 1, Decimal("0.0"))
    assert found.overdue_share == Decimal("0.000")  # none of the 6 late


def test_june_a_gradual_exit_and_an_overdue_step(world):
    story(world)
    found = monthly.report(world.db, world.user("dist"), "D1", "2026-06", now=NOW)
    # B is still paid during its six months: counted in force and as a gradual exit
    assert (found.whole.households, found.whole.amount_total) == (2, Decimal("750.00"))
    assert (found.new.households, found.exited.households, found.gradual_exit) == (0, 0, 1)
    # only C's district step touches June: open, due 10 working days after 03-31, so late
    assert [(s.step, s.open, s.completed, s.avg_days, s.overdue) for s in found.steps] == [
        ("district_confirmation", 1, 0, None, 1)]
    assert found.overdue_share == Decimal("1.000")


def test_october_the_exit_ends_the_benefit(world):
    out = story(world)["exit"]
    end_exit(world, out)
    found = monthly.report(world.db, world.user("dist"), "D1", "2026-10", now=NOW)
    assert (found.whole.households, found.whole.persons, found.whole.amount_total) == (
        1, 3, Decimal("150.00"))  # A alone
    assert (found.exited.households, found.exited.persons, found.gradual_exit) == (1, 3, 0)
    assert found.new.households == 0
    # the exit step took 2.5 days, on time; C's district step is still open and late: 1 of 2
    assert [(s.step, s.open, s.completed, s.avg_days, s.overdue) for s in found.steps] == [
        ("district_confirmation", 1, 0, None, 1), ("exit_confirmation", 0, 1, Decimal("2.5"), 0)]
    assert found.overdue_share == Decimal("0.500")
    # September: B still in its six months, nothing ended yet
    september = monthly.report(world.db, world.user("dist"), "D1", "2026-09", now=NOW)
    assert (september.whole.households, september.gradual_exit,
            september.exited.households) == (2, 1, 0)


def test_scope_and_the_public_figures(world):
    story(world)
    db = world.db
    assert monthly.report(db, world.user("town1"), "T1", "2026-03", now=NOW).whole.households == 2
    with pytest.raises(Forbidden):
        monthly.report(db, world.user("town1"), "D1", "2026-03", now=NOW)
    with pytest.raises(Forbidden):
        monthly.report(db, world.user("vil11"), "V11", "2026-03", now=NOW)
    shown = monthly.public(db, "D1", "2026-03", now=NOW)
    assert (shown.households, shown.persons, shown.amount_total, shown.avg_per_person) == (
        2, 6, Decimal("750.00"), Decimal("125.00"))  # 750 / 6
    assert (shown.new.households, shown.exited.households) == (2, 0)
    with pytest.raises(NotFound):
        monthly.public(db, "V11", "2026-03", now=NOW)  # a village has no public statistics


def test_api_answers_the_contract_keys(world, client):
    story(world)
    auth = {"Authorization": f"Bearer {accounts.issue_token(world.db, world.user('dist'))}"}
    body = client.get("/api/stats?region=D1&month=2026-03", headers=auth).json
    contract = {"households", "persons", "new", "exited", "amount_total", "avg_topup_per_person",
                "standard_monthly", "level_ratio", "by_step", "overdue_share"}
    assert contract <= set(body)
    assert {k: body[k] for k in contract - {"by_step"}} == {
        "households": 2, "persons": 6, "new": 2, "exited": 0, "amount_total": 750.0,
        "avg_topup_per_person": 125.0, "standard_monthly": 800.0,
        "level_ratio": 0.156,  # 125 / 800 = 0.15625 → 0.156
        "overdue_share": 0.0}
    assert body["by_step"]["district_confirmation"] == {
        "name": "市（区）民政部门审核确认", "open": 1, "completed": 2, "avg_days": 0.0,
        "overdue": 0}
    assert body["by_category"] == [{"category": "serious_illness", "households": 2,
                                    "persons": 6, "amount_total": 750.0}]
    assert (body["gradual_exit"], body["new_persons"]) == (0, 6)
