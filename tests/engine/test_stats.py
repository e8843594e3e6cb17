"""The region's top-up level (补差水平): average monthly top-up per person and its ratio to the
standard, beside the 75% (urban) / 50% (rural) targets of 江府〔2018〕6号. Expected figures are
worked out by hand in the comments; dates are fixed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from engine.casework import cases, tasks
from engine.money import stats
from engine.people import accounts
from engine.store.errors import Forbidden, Invalid
from engine.store.models import Benefit, Case
from engine.workflow import procedures, spiff
from tests.engine.test_regions import BPMN, DAY, household, start, work
from tests.factories import after_notice, make_world, open_task
from tests.forms.samples import HEAD_BIRTH, make_id_number

AT = datetime(2026, 3, 2, 2, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 2, tzinfo=UTC)


@pytest.fixture
def world(db):
    w = make_world(db, deploy=False)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "jiangmen"))
    return w


def enrol(world, seq: int, wages: float, area: str) -> Case:
    """A household of 3 without labour capacity, with these yearly wages, in this area."""
    app = household([{"category": "wages", "amount": wages}], labour="none")
    head = make_id_number(HEAD_BIRTH - timedelta(days=seq), 5)
    app["head_id_number"] = app["members"][0]["id_number"] = head
    case = start(world, "jiangmen_identification", app, at=AT)
    work(world, case, at=AT, extra={"jiangmen_investigation": {"area": area}})
    world.db.refresh(case)
    assert case.status == "approved"
    return case


def exit_household(world, case: Case) -> None:
    db, at = world.db, AT + timedelta(days=40)
    report = {"head_name": case.application["head_name"], "household_size": 3,
              "head_id_number": case.application["head_id_number"],
              "per_capita_income_now": 20000, "escape_route": "employment"}
    out = cases.start(db, world.user("clerk1"), "jiangmen_exit", "V11", report, now=at)
    tasks.complete(db, world.user("town1"), open_task(db, out.id).id,
                   {"verified_on": DAY, "decision": "approve"}, now=at)
    after_notice(db, at + timedelta(days=185))
    tasks.complete(db, world.user("dist"), open_task(db, out.id).id, {"decision": "approve"},
                   now=at + timedelta(days=190))
    db.refresh(out)
    assert out.status == "exited"


def test_the_bundle_declares_its_targets():
    bundle = procedures.bundle_from_files(procedures.read_bundle_dir(BPMN / "jiangmen"))
    models, problems = spiff.check_bundle(bundle.bpmn, bundle.dmn)
    assert problems == []
    assert models["jiangmen_identification"].topup_level_targets == {
        "town": Decimal("0.75"), "village": Decimal("0.5")}


def test_a_bad_target_property_is_refused_at_deploy():
    bundle = procedures.bundle_from_files(procedures.read_bundle_dir(BPMN / "jiangmen"))
    text = bundle.bpmn["identification.bpmn"].replace("town:0.75,village:0.5", "town:75%")
    _, problems = spiff.check_bundle({**bundle.bpmn, "identification.bpmn": text}, bundle.dmn)
    assert any("topupLevelTargets" in p for p in problems)


def test_topup_level_by_area_against_the_targets(world):
    # village, 750/person/month (27,000 a year for 3): (800 − 750) × 3 = 150.00
    enrol(world, 1, 27000.0, "village")
    # village, 600/person/month: (800 − 600) × 3 = 600.00
    enrol(world, 2, 21600.0, "village")
    # town, 600/person/month: 600.00
    enrol(world, 3, 21600.0, "town")
    # town, 300/person/month: 1,500.00, but it exits: left out
    exit_household(world, enrol(world, 4, 10800.0, "town"))

    found = stats.report(world.db, world.user("dist"), "D1", "2026-11", now=NOW)
    assert (found.region.code, found.month, found.on) == ("D1", "2026-11", date(2026, 11, 30))
    whole, town, village = found.levels
    # the region: 1,350.00 for 9 persons = 150.00 each; 150 / 800 = 0.1875 → 0.188
    assert (whole.area, whole.households, whole.persons) == ("", 3, 9)
    assert (whole.amount_total, whole.avg_per_person) == (Decimal("1350.00"), Decimal("150.00"))
    assert (whole.standard_monthly, whole.ratio, whole.target) == (Decimal("800"),
                                                                  Decimal("0.188"), None)
    # urban: 600.00 / 3 = 200.00; 200 / 800 = 0.25, below its 75% target
    assert (town.area, town.households, town.persons, town.amount_total) == (
        "town", 1, 3, Decimal("600.00"))
    assert (town.avg_per_person, town.ratio, town.target, town.meets_target) == (
        Decimal("200.00"), Decimal("0.250"), Decimal("0.75"), False)
    # rural: 750.00 / 6 = 125.00; 125 / 800 = 0.15625 → 0.156, below its 50% target
    assert (village.households, village.persons, village.amount_total) == (2, 6,
                                                                          Decimal("750.00"))
    assert (village.avg_per_person, village.ratio, village.target, village.meets_target) == (
        Decimal("125.00"), Decimal("0.156"), Decimal("0.5"), False)

    # in March the exited household was still paid: town 2,100.00 / 6 = 350.00 → 0.4375 → 0.438
    march = stats.report(world.db, world.user("dist"), "D1", "2026-03", now=NOW)
    town = next(line for line in march.levels if line.area == "town")
    assert (town.households, town.avg_per_person, town.ratio) == (2, Decimal("350.00"),
                                                                 Decimal("0.438"))
    # before anyone was enrolled: no households, no average, targets still listed
    empty = stats.report(world.db, world.user("dist"), "D1", "2026-02", now=NOW)
    assert [(x.area, x.households, x.avg_per_person, x.ratio) for x in empty.levels] == [
        ("", 0, None, None), ("town", 0, None, None), ("village", 0, None, None)]


def test_rounding_happens_once_half_up():
    rows = [Benefit(monthly_amount=0.05, household_size=2,
                    effective_from=date(2026, 1, 1), id=1, source="approval", facts={})]
    line = stats.level(rows, "", None, Decimal(1))
    # 0.05 / 2 = 0.025 → 0.03 (half up, not half even); 0.025 / 1 → 0.025 exactly
    assert (line.avg_per_person, line.ratio) == (Decimal("0.03"), Decimal("0.025"))
    on_target = stats.level(rows, "", Decimal("0.025"), Decimal(1))
    assert on_target.meets_target is True  # exactly on target
    rows = [Benefit(monthly_amount=100.0, household_size=3,
                    effective_from=date(2026, 1, 1), id=2, source="approval", facts={})]
    line = stats.level(rows, "", Decimal("0.5"), Decimal(800))
    # 100 / 3 = 33.333… → 33.33; the ratio from the unrounded average: 0.041666… → 0.042
    assert (line.avg_per_person, line.ratio, line.meets_target) == (Decimal("33.33"),
                                                                   Decimal("0.042"), False)


def test_who_may_see_it_and_bad_input(world):
    db = world.db
    assert stats.report(db, world.user("town1"), "T1", now=NOW).region.code == "T1"
    with pytest.raises(Forbidden):
        stats.report(db, world.user("town1"), "D1", now=NOW)  # not its region
    with pytest.raises(Forbidden):
        stats.report(db, world.user("clerk1"), "T1", now=NOW)
    with pytest.raises(Invalid) as bad:
        stats.report(db, world.user("dist"), "D1", "2026/11", now=NOW)
    assert "month" in bad.value.fields
    with pytest.raises(Invalid) as bad:
        stats.report(db, world.user("dist"), "NOPE", now=NOW)
    assert "region" in bad.value.fields


def test_api_stats(world, client):
    enrol(world, 1, 27000.0, "village")
    token = accounts.issue_token(world.db, world.user("dist"))
    auth = {"Authorization": f"Bearer {token}"}
    answer = client.get("/api/stats?region=D1&month=2026-11", headers=auth)
    assert answer.status_code == 200
    body = answer.json
    assert (body["region"], body["month"], body["households"], body["persons"]) == (
        "D1", "2026-11", 1, 3)
    assert (body["amount_total"], body["avg_topup_per_person"], body["standard_monthly"],
            body["level_ratio"]) == (150.0, 50.0, 800.0, 0.063)  # 50 / 800 = 0.0625
    assert body["by_area"] == [
        {"area": "town", "households": 0, "persons": 0, "amount_total": 0,
         "avg_topup_per_person": None, "standard_monthly": 800.0, "level_ratio": None,
         "target_ratio": 0.75, "meets_target": None},
        {"area": "village", "households": 1, "persons": 3, "amount_total": 150.0,
         "avg_topup_per_person": 50.0, "standard_monthly": 800.0, "level_ratio": 0.063,
         "target_ratio": 0.5, "meets_target": False}]
    assert client.get("/api/stats?region=D1&month=11-2026", headers=auth).status_code == 422
    town = {"Authorization": f"Bearer {accounts.issue_token(world.db, world.user('town1'))}"}
    assert client.get("/api/stats?region=D1", headers=town).status_code == 403
