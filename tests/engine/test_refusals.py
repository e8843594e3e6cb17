"""Every bundle refuses in writing: a refusal at any level of Fuxin, Jiangmen and the generic
chain goes to the township's 送达不予认定通知书, due within 3 working days, whose text carries the
decision table's reason (once the tables have run) and the refusing official's, and the case
then ends `rejected` (民发〔2021〕57号 Arts. 20–21)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.casework import cases, tasks
from engine.store.models import HumanTask, ProcedureVersion
from engine.time import clock
from engine.workflow import procedures
from tests.engine.test_regions import FORM_DATA, WORKER, household, work, workflow_data
from tests.factories import ROOT, make_world, open_task
from tests.forms.samples import valid_step_data

# Monday 18 May 2026, 10:00 in Beijing: every refusing step is open by 17 June.
OPENED = datetime(2026, 5, 18, 2, 0, tzinfo=UTC)
# Wednesday 17 June 2026, 10:00 in Beijing. Counted by hand: Thursday 18 June (1); 19-21 June
# are the Dragon Boat holiday and its weekend; Monday 22 (2), Tuesday 23 (3): the notice is
# due at the end of Tuesday 23 June, Beijing time.
REFUSED = datetime(2026, 6, 17, 2, 0, tzinfo=UTC)
NOTICE_DUE = datetime(2026, 6, 23, 16, 0, tzinfo=UTC)
SERVED = datetime(2026, 6, 19, 3, 0, tzinfo=UTC)  # served on the holiday, before the due date

OFFICIAL = "经入户调查，家庭有小轿车一辆，不符合认定条件"
# 36,000 yuan of wages for three people: 12,000 per person per year, above every standard.
RICH = [{"category": "wages", "amount": 36000.0}]
TABLE = {
    "fuxin": "家庭年人均收入 12000.00 元不低于当地农村低保标准 3400.00 元/人·年",
    "jiangmen": "家庭年人均收入 12000.00 元不低于当地低保标准 9600.00 元/人·年",
    "generic": "家庭年人均收入 12000.00 元不低于扶贫标准 2736.00 元/人·年",
}
KEYS = {"fuxin": "fuxin_identification", "jiangmen": "jiangmen_identification",
        "generic": "generic_poverty_registration"}

# (bundle, refusing step, whether the tables have run by then)
LEVELS = [
    ("fuxin", "township_acceptance", False),     # 乡镇统一受理审查
    ("fuxin", "township_investigation", False),  # 乡镇统一核查
    ("fuxin", "village_evaluation", True),       # 统一评议
    ("fuxin", "county_approval", True),          # 县（区）民政部门审核确认
    ("jiangmen", "township_investigation", False),
    ("jiangmen", "district_confirmation", True),
    ("generic", "group_evaluation", False),      # 村民小组民主评议
    ("generic", "village_examination", True),    # 村民委员会审查
    ("generic", "township_review", True),        # 镇政府审核
    ("generic", "district_approval", True),      # 区扶贫办审批
]


@pytest.fixture
def world(db):
    return make_world(db, deploy=False)


def open_case(world, bundle: str):
    procedures.deploy(world.db, None, "D1", procedures.read_bundle_dir(ROOT / "bpmn" / bundle))
    return cases.start(world.db, world.user("clerk1"), KEYS[bundle], "V11",
                       household(RICH), now=OPENED)


def refuse(world, case, step: str) -> HumanTask:
    """Approve up to `step`, then refuse there at REFUSED with the official's reason."""
    _, at = work(world, case, at=OPENED, stop_at=step)
    assert at < REFUSED
    task = open_task(world.db, case.id)
    assert task.step == step
    data = {**FORM_DATA[task.form_key], "decision": "reject", "reason": OFFICIAL}
    if task.form_key == "village_evaluation":
        data.update(votes_for=2, votes_against=7)
    tasks.complete(world.db, world.user(WORKER[task.level]), task.id, data, now=REFUSED)
    return task


def serve_and_check(world, case, expected_text: str) -> None:
    db = world.db
    notice = open_task(db, case.id)
    assert (notice.step, notice.form_key, notice.level, notice.org.code) == (
        "refusal_notice", "refusal_notice", "township", "T1")
    assert clock.as_utc(notice.due_at) == NOTICE_DUE
    db.refresh(case)
    assert case.status == "running", "the township has still to serve the notice"
    assert workflow_data(db, case)["refusal_text"] == expected_text
    tasks.complete(db, world.user("town1"), notice.id,
                   {**valid_step_data("refusal_notice"), "served_on": "2026-06-19",
                    "reasons": expected_text}, now=SERVED)
    db.refresh(case)
    assert case.status == "rejected" and clock.as_utc(case.closed_at) == SERVED
    assert open_task(db, case.id) is None
    done = db.scalars(select(HumanTask).where(HumanTask.case_id == case.id)
                      .order_by(HumanTask.id.desc())).first()
    assert (done.step, done.data["reasons"]) == ("refusal_notice", expected_text)


@pytest.mark.parametrize("bundle,step,tables_ran", LEVELS,
                         ids=[f"{b}-{s}" for b, s, _ in LEVELS])
def test_a_refusal_at_each_level_serves_the_notice_with_its_reasons(world, bundle, step,
                                                                   tables_ran):
    case = open_case(world, bundle)
    refuse(world, case, step)
    if tables_ran:
        expected = f"核算结论：{TABLE[bundle]}；审核意见：{OFFICIAL}"
    else:  # refused before the tables ran: the official's reason is the only one
        expected = f"审核意见：{OFFICIAL}"
    serve_and_check(world, case, expected)


@pytest.mark.parametrize("bundle,returning,refusing", [
    ("fuxin", "county_approval", "township_investigation"),
    ("jiangmen", "district_confirmation", "township_investigation"),
])
def test_a_township_refusal_after_the_tables_ran_carries_both_reasons(world, bundle, returning,
                                                                     refusing):
    """Sent back by the county or district, the township refuses on re-investigation: the
    notice carries the table's reason as well as the township's."""
    case = open_case(world, bundle)
    _, at = work(world, case, at=OPENED, stop_at=returning)
    task = open_task(world.db, case.id)
    tasks.complete(world.db, world.user("dist"), task.id,
                   {"decision": "return", "reason": "请重新核查家庭财产"}, now=at)
    assert open_task(world.db, case.id).step == refusing
    refuse(world, case, refusing)
    serve_and_check(world, case, f"核算结论：{TABLE[bundle]}；审核意见：{OFFICIAL}")


def test_the_generic_chain_carries_the_30_and_45_working_day_case_limit(world):
    case = open_case(world, "generic")
    model = procedures.model_of(world.db.get(ProcedureVersion, case.procedure_version_id))
    assert (model.due_working_days, model.max_working_days) == (30, 45)
    # Counted by hand from Tuesday 19 May 2026: 19-22 May (4), 25-29 (9), 1-5 June (14),
    # 8-12 (19), 15-18 (23), 22-26 (28; 19 June is the Dragon Boat holiday), 29-30 June (30).
    assert clock.as_utc(case.due_at) == datetime(2026, 6, 30, 16, 0, tzinfo=UTC)
    cases.extend(world.db, world.user("town1"), case.id, "公示期间收到异议，需重新调查",
                 now=datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    world.db.refresh(case)
    # 45: 1-3 July (33), 6-10 (38), 13-17 (43), 20-21 July (45).
    assert clock.as_utc(case.due_at) == datetime(2026, 7, 21, 16, 0, tzinfo=UTC)
    assert case.extension_reason == "公示期间收到异议，需重新调查"
