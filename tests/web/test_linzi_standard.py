"""Linzi (临办发〔2018〕34号) against its 4,300/yr standard: the decision table's proposed amount
on the deciding step, the exit's income test, and `yimen standard` on the command line."""

from datetime import timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner

from engine.casework import cases, tasks
from engine.money import standards
from engine.people import accounts
from engine.store.errors import Invalid
from engine.time import clock
from tests.engine.test_dynamic import ALL_HAVE, ALL_STANDARDS, approved
from tests.factories import after_notice, open_task, valid_application, valid_step_data, walk
from tests.web.conftest import sign_in, text
from web import cli


def at_district(world, per_capita_income: float):
    """A Linzi case past the township (its review with this income) and its notice."""
    now = clock.now() - timedelta(days=40)
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=now)
    now = walk(world, case.id, ["approve"], now)
    now = after_notice(world.db, now)
    task = open_task(world.db, case.id)
    tasks.complete(world.db, world.user("town1"), task.id,
                   {**valid_step_data("township_review"), "per_capita_income": per_capita_income},
                   now=now + timedelta(hours=1))
    after_notice(world.db, now + timedelta(hours=1))
    return case


def test_the_deciding_step_shows_the_amount_the_table_proposes(world, client):
    case = at_district(world, 2826.83)
    task = open_task(world.db, case.id)
    assert task.step == "district_crosscheck"
    token = accounts.issue_token(world.db, world.user("dist"))
    res = client.get(f"/api/tasks/{task.id}", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200
    # (4300 − 2826.83) / 12 × 3 = 368.2925 → 368.29, a JSON number
    decisions = res.json["case"]["decisions"]
    assert decisions["proposed_amount"] == 368.29 and decisions["eligible"] is True
    assert decisions["eligibility_basis"] == "家庭年人均收入低于识别标准"
    sign_in(client, "dist")
    page = text(client.get(f"/tasks/{task.id}"))
    assert "测算月补差（元）" in page and "368.29" in page and "符合" in page


def test_an_income_at_the_standard_is_not_eligible(world, client):
    case = at_district(world, 4300)
    token = accounts.issue_token(world.db, world.user("dist"))
    res = client.get(f"/api/tasks/{open_task(world.db, case.id).id}",
                     headers={"Authorization": f"Bearer {token}"})
    assert res.json["case"]["decisions"]["eligible"] is False
    assert res.json["case"]["decisions"]["proposed_amount"] == 0


def exit_case(world):
    at = clock.now() - timedelta(days=100)
    ident = approved(world, at)
    case = cases.start(world.db, world.user("vil11"), "linzi_exit", "V11",
                       {"head_id_number": ident.application["head_id_number"],
                        "exit_reason": "stable_out_of_poverty", "proposal_note": "务工收入稳定"},
                       now=at + timedelta(days=20))
    return case, at + timedelta(days=21)


CHECK = {"checked_on": "2026-02-20", "investigators": "张伟、刘芳",
         "exit_reason": "stable_out_of_poverty", "eight_have": ALL_HAVE,
         "eight_standards": ALL_STANDARDS, "findings": "务工收入稳定", "decision": "approve"}


def test_an_exit_on_income_needs_the_income_to_reach_the_standard(world):
    case, at = exit_case(world)
    task = open_task(world.db, case.id)
    with pytest.raises(Invalid) as err:  # the income must be stated
        tasks.complete(world.db, world.user("town1"), task.id, CHECK, now=at)
    assert "per_capita_income" in err.value.fields
    world.db.rollback()
    tasks.complete(world.db, world.user("town1"), task.id, {**CHECK, "per_capita_income": 1000},
                   now=at)
    again = open_task(world.db, case.id)
    assert again.step == "township_check"  # refused: back to the township, with the reason
    from tests.engine.test_regions import workflow_data
    reason = workflow_data(world.db, case)["review_reason"]
    assert "1000" in reason and "4300" in reason and "低于退出标准" in reason
    tasks.complete(world.db, world.user("town1"), again.id,
                   {**CHECK, "per_capita_income": 4300}, now=at + timedelta(days=1))
    assert open_task(world.db, case.id) is None  # the village notice runs
    after_notice(world.db, at + timedelta(days=1))
    assert open_task(world.db, case.id).step == "district_confirm"


def test_a_yearly_review_exit_needs_the_income_test_too(world):
    from tests.engine.test_dynamic import review_data, work_review
    from tests.engine.test_regions import workflow_data

    at = clock.now() - timedelta(days=100)
    ident = approved(world, at)
    review = cases.start(world.db, world.user("vil11"), "linzi_review", "V11", ident.application,
                         now=at + timedelta(days=30))
    work_review(world, review.id, review_data("exit", per_capita_income=1000),
                at + timedelta(days=31))
    assert open_task(world.db, review.id).step == "village_review"  # back, with the reason
    assert "低于退出标准" in workflow_data(world.db, review)["review_reason"]
    with pytest.raises(Invalid) as err:
        data = review_data("exit")
        del data["per_capita_income"]
        tasks.complete(world.db, world.user("vil11"), open_task(world.db, review.id).id, data,
                       now=at + timedelta(days=32))
    assert "per_capita_income" in err.value.fields


def test_yimen_standard_add_and_show(app, world, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)

    def run(*args):
        return CliRunner().invoke(cli.main, list(args))

    res = run("standard", "add", "--region", "D1", "--from", "2026-07-01", "--amount", "380",
              "--period", "month", "--document", "临政发〔2026〕3号")
    assert res.exit_code == 0, res.output
    assert "D1 dibao 2026-07-01 起 380.00 元/人·月" in res.output
    with clock.frozen(clock.as_utc(clock.now().replace(year=2026, month=8, day=1))):
        shown = run("standard", "show", "--region", "D1").output.splitlines()
    assert shown[0].startswith("2026-07-01 dibao 380.00 元/人·月 现行 临政发〔2026〕3号")
    assert shown[1].startswith("2018-01-01 dibao 4300.00 元/人·年 已停用")
    for bad, word in ((["--region", "X9", "--from", "2026-07-01", "--amount", "1",
                        "--period", "month"], "X9"),
                      (["--region", "D1", "--from", "2026-02-30", "--amount", "1",
                        "--period", "month"], "from"),
                      (["--region", "D1", "--from", "2026-09-01", "--amount", "-3",
                        "--period", "month"], "amount"),
                      (["--region", "D1", "--from", "2026-09-01", "--amount", "3",
                        "--period", "day"], "period")):
        res = run("standard", "add", *bad)
        assert res.exit_code == 1 and word in res.output, res.output
    assert [s.amount for s in standards.history(world.db, "D1")] == [Decimal("380.00"), 4300]
