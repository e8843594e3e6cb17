"""The regional bundles (Fuxin, Jiangmen, generic chain) end to end on the engine, with the
eligibility decided by each region's DMN tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from SpiffWorkflow import TaskState
from sqlalchemy import select

from engine.casework import cases, instances, tasks
from engine.money import benefits, standards
from engine.store.errors import ModelError
from engine.store.models import Benefit, Case, HumanTask, Job, ProcedureVersion, ProcessInstance
from engine.time import clock
from engine.workflow import procedures, spiff
from tests.factories import ROOT, after_notice, make_world, open_task
from tests.forms.samples import valid_application, valid_step_data

BPMN = ROOT / "bpmn"
WORKER = {"village": "vil11", "township": "town1", "district": "dist", "assessor": "assess"}
DAY = "2024-03-05"

# Form data for each step's form, by form key (decision added by `work`).
FORM_DATA: dict[str, dict[str, Any]] = {
    "village_evaluation": {k: v for k, v in valid_step_data("village_evaluation").items()
                           if k != "decision"},
    "fuxin_acceptance": {"accepted_on": DAY, "materials_complete": True},
    "fuxin_investigation": {"investigation_date": DAY, "investigators": "张伟、刘芳",
                            "home_visit": True, "economic_check": "consistent"},
    "fuxin_approval": {},
    "jiangmen_investigation": {"investigation_date": DAY, "investigators": "张伟、刘芳",
                               "home_visit": True},
    "jiangmen_confirmation": {},
    "jiangmen_registration": {"registered_on": DAY, "assistance_measures": "employment",
                              "helper_name": "陈志强"},
    "jiangmen_exit_review": {"verified_on": DAY},
    "jiangmen_exit_confirmation": {},
    "generic_village_examination": {"examined_on": DAY, "opinion": "评议公示无异议。"},
    "generic_township_review": {"reviewed_on": DAY, "home_visit": True},
    "generic_district_approval": {"civil_affairs_opinion": "agree"},
    "generic_registration": {"register_no": "XH-2024-017", "registered_on": DAY},
    "generic_data_entry": {"entered_on": DAY, "system_record_no": "640105-000123"},
    "generic_assign_help": {"project": "industry", "funds": 3000, "helper_name": "马丽霞"},
    "generic_exit_evaluation": {"meeting_date": DAY,
                                "findings": "家庭务工收入稳定，评议同意退出。"},
    "generic_exit_check": {"checked_on": DAY, "exit_reason": "stable_out_of_poverty",
                           "per_capita_income": 9000, "findings": "务工收入稳定，核查属实。"},
    "generic_exit_approval": {"exit_document": "西扶退字〔2026〕3号"},
}
NO_DECISION = {"jiangmen_registration", "generic_registration", "generic_data_entry",
               "generic_assign_help"}


@pytest.fixture
def world(db):
    return make_world(db, deploy=False)


def deployed(world, key: str) -> None:
    """Deploy the bundle of `key`'s county on D1 once: one county per test, because a region
    has one standard and each bundle brings its own starting figure (standards.csv)."""
    region = key.split("_", 1)[0]
    if not any(v.key.startswith(region) for v in procedures.list_versions(world.db)):
        procedures.deploy(world.db, None, "D1", procedures.read_bundle_dir(BPMN / region))


def start(world, key: str, application: dict | None = None, at: datetime | None = None) -> Case:
    deployed(world, key)
    return cases.start(world.db, world.user("clerk1"), key, "V11",
                       application or valid_application(), now=at or clock.now())


def work(world, case: Case, extra: dict[str, dict] | None = None,
         at: datetime | None = None, stop_at: str | None = None) -> tuple[list[str], datetime]:
    """Approve every step (letting notices and timers pass) until the case closes, or until
    the step `stop_at` is open. Returns the steps worked and the time reached."""
    db, at, done = world.db, at or clock.now(), []
    for _ in range(40):
        task = open_task(db, case.id)
        if task is None:
            db.refresh(case)
            if case.status != "running":
                return done, at
            at = after_notice(db, at)
            continue
        if task.step == stop_at:
            return done, at
        data = dict(FORM_DATA[task.form_key])
        if task.form_key not in NO_DECISION:
            data["decision"] = "approve"
        data.update((extra or {}).get(task.form_key, {}))
        at += timedelta(hours=1)
        tasks.complete(db, world.user(WORKER[task.level]), task.id, data, now=at)
        done.append(task.step)
    raise AssertionError("case did not finish")


def workflow_data(db, case: Case) -> dict[str, Any]:
    """The workflow's data: the final data, or that of the task it waits on."""
    instance = db.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    version = db.get(ProcedureVersion, case.procedure_version_id)
    wf = instances.load(case, instance.state, procedures.model_of(version),
                        instances.submitted_forms(db, case))
    if wf.is_completed():
        return spiff.final_data(wf)
    waiting = wf.get_tasks(state=TaskState.READY, manual=True) or wf.get_tasks(
        state=TaskState.WAITING)
    return dict(waiting[0].data)


def benefit(db, case: Case) -> Benefit:
    return db.scalar(select(Benefit).where(Benefit.case_id == case.id))


def household(incomes: list[dict], labour: str | None = None, **member_changes) -> dict:
    app = valid_application(incomes=incomes)
    for m in app["members"]:
        if labour:
            m["labour_capacity"] = labour
        m.update(member_changes)
    return app


# ---------------------------------------------------------------- bundles parse and deploy


@pytest.mark.parametrize("region,keys", [
    ("fuxin", {"fuxin_identification", "fuxin_standard_adjustment", "fuxin_review"}),
    ("jiangmen", {"jiangmen_identification", "jiangmen_exit", "jiangmen_standard_adjustment",
                  "jiangmen_list_adjustment"}),
    ("generic", {"generic_poverty_registration", "generic_exit"}),
])
def test_bundle_parses_without_problems(region, keys):
    bundle = procedures.bundle_from_files(procedures.read_bundle_dir(BPMN / region))
    models, problems = spiff.check_bundle(bundle.bpmn, bundle.dmn)
    assert (bundle.problems, problems) == ([], [])
    assert set(models) == keys


# ---------------------------------------------------------------- Fuxin


def test_fuxin_runs_the_four_unified_steps_and_leaves_the_basic_pension_out(world):
    db = world.db
    case = start(world, "fuxin_identification")
    steps, _ = work(world, case)
    db.refresh(case)
    assert case.status == "approved"
    assert steps == ["township_acceptance", "township_investigation", "village_evaluation",
                     "county_approval"]
    data = workflow_data(db, case)
    # business 6,800 counted; basic pension 1,680.50 left out (阜政办发〔2017〕30号)
    assert data["counted_income"] == 6800.0 and data["excluded_income"] == 1680.5
    assert data["per_capita_income"] == Decimal(6800) / 3  # exact, not rounded on the way
    assert "standard_yearly" not in data and "standard" not in data  # read, never copied
    assert data["eligible"] is True and data["category"] == "none"
    # (3400/12 − 6800/3/12) × 3 = 283.333… → 283.33 (rounding the standard first gave 283.32)
    assert data["proposed_amount"] == data["amount"] == Decimal("283.33")
    assert data["phase_out_months"] == 12
    row = benefit(db, case)
    assert (row.monthly_amount, row.per_capita_income) == (Decimal("283.33"), Decimal("2266.67"))


def test_fuxin_classifies_a_severely_disabled_household_with_a_longer_phase_out(world):
    db = world.db
    app = valid_application()
    app["members"][2]["disability_grade"] = "1"
    case = start(world, "fuxin_identification", app)
    work(world, case, stop_at="village_evaluation")
    data = workflow_data(db, case)
    assert (data["category"], data["phase_out_months"]) == ("severe_disability", 24)
    assert data["eligibility_basis"] == "收入低于标准；有重度残疾成员"


def test_fuxin_household_above_the_standard_is_not_eligible(world):
    db = world.db
    app = household([{"category": "wages", "amount": 12000.0},
                     {"category": "basic_pension", "amount": 5000.0}])
    case = start(world, "fuxin_identification", app)
    work(world, case, stop_at="village_evaluation")
    data = workflow_data(db, case)
    assert data["per_capita_income"] == 4000.0
    assert (data["eligible"], data["proposed_amount"], data["phase_out_months"]) == (False, 0.0, 0)


def test_fuxin_county_can_set_the_amount(world):
    db = world.db
    case = start(world, "fuxin_identification")
    work(world, case, extra={"fuxin_approval": {"adjusted_amount": 250.0}})
    data = workflow_data(db, case)
    assert (data["proposed_amount"], data["amount"]) == (Decimal("283.33"), 250.0)
    assert benefit(db, case).monthly_amount == 250.0


# ---------------------------------------------------------------- Jiangmen


def test_jiangmen_household_able_to_work_becomes_a_poverty_registration_target(world):
    db = world.db
    case = start(world, "jiangmen_identification")  # the spouse has full labour capacity
    steps, _ = work(world, case)
    db.refresh(case)
    assert case.status == "approved"
    assert steps == ["township_investigation", "district_confirmation", "poverty_registration"]
    data = workflow_data(db, case)
    assert (data["scheme"], data["area"]) == ("poverty_registration", "village")
    assert data["per_capita_income"] == Decimal(6800) / 3  # basic pension left out
    # the gap 800 − 2266.67 / 12 = 611.11 per person, × 3
    assert data["proposed_amount"] == data["amount"] == Decimal("1833.33")
    assert benefit(db, case).monthly_amount == Decimal("1833.33")


def test_jiangmen_household_without_labour_stays_under_the_guarantee_and_gets_the_gap(world):
    """The 50% of 江府〔2018〕6号 is the region's average level, not a floor per household."""
    db = world.db
    # per-capita 27,000 / 3 = 9,000/year = 750/month: the gap is 50 per person
    app = household([{"category": "wages", "amount": 27000.0}], labour="partial")
    case = start(world, "jiangmen_identification", app)
    steps, _ = work(world, case)
    db.refresh(case)
    assert case.status == "approved"
    assert "poverty_registration" not in steps
    data = workflow_data(db, case)
    assert (data["members_able_to_work"], data["scheme"]) == (0, "dibao_guarantee")
    assert (data["area"], data["area_scheme"]) == ("village", "农村低保")
    assert data["proposed_amount"] == 150.0  # 50 × 3, not the 400 × 3 of a floor
    assert benefit(db, case).monthly_amount == 150.0


def test_jiangmen_town_household_gets_the_gap_not_75pct_of_the_standard(world):
    db = world.db
    app = household([{"category": "wages", "amount": 21600.0}], labour="none")
    case = start(world, "jiangmen_identification", app)
    work(world, case, extra={"jiangmen_investigation": {"area": "town"}},
         stop_at="district_confirmation")
    data = workflow_data(db, case)
    assert (data["area"], data["area_scheme"]) == ("town", "城镇低保")
    assert data["proposed_amount"] == 600.0  # (800 − 600) × 3, not 600 × 3


def test_jiangmen_standard_change_recalculates_with_the_region_rules(world):
    """Publishing a new standard through the adjustment procedure adds it to the region's
    standards and recalculates every household by Jiangmen's own tables, on the facts kept with
    its benefit, not the national formula; no file is edited, nothing is redeployed."""
    db, at = world.db, datetime(2026, 8, 3, 2, tzinfo=UTC)  # fixed dates: 2027 is in the rules
    gap = start(world, "jiangmen_identification", at=at)  # per-capita 2266.67/yr, 3 people
    town = start(world, "jiangmen_identification", at=at,
                 application=household([{"category": "wages", "amount": 21600.0}],
                                       labour="none"))  # 600/month each
    for case in (gap, town):
        work(world, case, at=at, extra={"jiangmen_investigation": {"area": "town"}}
             if case is town else None)
        db.refresh(case)
        assert case.status == "approved"
    assert (benefit(db, gap).monthly_amount, benefit(db, town).monthly_amount) == (
        Decimal("1833.33"), Decimal("600.00"))
    assert benefit(db, town).facts["area"] == "town"

    dist, now = world.user("dist"), datetime(2026, 11, 16, 2, tzinfo=UTC)
    adjustment = cases.start(db, dist, "jiangmen_standard_adjustment", "D1",
                             {"new_standard": 900, "effective_from": "2027-01-01",
                              "document_no": "江府〔2026〕9号",
                              "basis": "扶贫标准与低保标准同步提高"}, now=now)
    review = open_task(db, adjustment.id)
    tasks.complete(db, dist, review.id, {"opinion": "同意", "decision": "approve"}, now=now)
    assert standards.in_force(db, "/D1/", date(2027, 1, 1)).amount == 800  # not yet published
    tasks.complete(db, dist, open_task(db, adjustment.id).id,
                   {"published_on": "2026-12-01", "channel": "市政府网站"}, now=now)
    added = standards.in_force(db, "/D1/", date(2027, 1, 1))
    assert (added.amount, added.period, added.source) == (900, "month", f"case:{adjustment.id}")
    assert standards.in_force(db, "/D1/", date(2026, 12, 31)).amount == 800

    # an application decided before 2027 still gets 800; one decided after it gets 900
    pending = start(world, "jiangmen_identification", at=datetime(2026, 12, 1, 2, tzinfo=UTC))
    work(world, pending, at=datetime(2026, 12, 1, 2, tzinfo=UTC), stop_at="district_confirmation")
    assert workflow_data(db, pending)["proposed_amount"] == Decimal("1833.33")
    later = start(world, "jiangmen_identification", at=datetime(2027, 1, 4, 2, tzinfo=UTC))
    work(world, later, at=datetime(2027, 1, 4, 2, tzinfo=UTC), stop_at="district_confirmation")
    assert workflow_data(db, later)["proposed_amount"] == Decimal("2133.33")

    job = db.scalar(select(Job).where(Job.case_id == adjustment.id))
    assert benefits.run_jobs(db, now) == 2
    db.refresh(job)
    assert (job.status, job.done, job.skipped) == ("done", 2, 0)
    new_gap, new_town = benefits.current(db, gap.id), benefits.current(db, town.id)
    # (900 − 188.89) × 3; the town household (900 − 600) × 3, its area kept with the benefit
    assert new_gap.monthly_amount == Decimal("2133.33")
    assert (new_town.monthly_amount, new_town.source) == (Decimal("900.00"), f"job:{job.id}")
    assert (str(new_town.effective_from), new_town.facts["area"]) == ("2027-01-01", "town")
    assert benefit(db, gap).monthly_amount == Decimal("1833.33")  # the decision keeps its amount


def test_recalculation_naming_a_missing_decision_is_refused_and_changes_nothing(world):
    db = world.db
    files = procedures.read_bundle_dir(BPMN / "jiangmen")
    text = files["standard-adjustment.bpmn"].decode().replace(
        "jiangmen_income,jiangmen_eligibility", "jiangmen_income,no_such")
    procedures.deploy(db, None, "D1", {**files, "standard-adjustment.bpmn": text.encode()})
    dist, now = world.user("dist"), clock.now()
    case = cases.start(db, dist, "jiangmen_standard_adjustment", "D1",
                       {"new_standard": 900, "effective_from": "2027-01-01",
                        "document_no": "x", "basis": "y"}, now=now)
    tasks.complete(db, dist, open_task(db, case.id).id, {"opinion": "同意", "decision": "approve"},
                   now=now)
    publish = open_task(db, case.id)
    with pytest.raises(ModelError, match="no_such"):
        tasks.complete(db, dist, publish.id, {"published_on": "2026-12-01", "channel": "网站"},
                       now=now)
    db.rollback()
    assert open_task(db, case.id).id == publish.id
    assert db.scalar(select(Job).where(Job.case_id == case.id)) is None
    assert [s.amount for s in standards.history(db, "D1")] == [800]  # nor the standard


def test_jiangmen_exit_keeps_the_benefit_six_months_before_exit(world):
    db = world.db
    at = datetime(2026, 3, 2, 2, tzinfo=UTC)
    enrolled = start(world, "jiangmen_identification", at=at)
    _, at = work(world, enrolled, at=at)
    case = cases.start(db, world.user("clerk1"), "jiangmen_exit", "V11",
                       {"head_name": "王建国", "household_size": 3,
                        "head_id_number": enrolled.application["head_id_number"],
                        "per_capita_income_now": 11000, "escape_route": "employment"}, now=at)
    task = open_task(db, case.id)
    tasks.complete(db, world.user("town1"), task.id,
                   {"verified_on": DAY, "decision": "approve"}, now=at)
    assert open_task(db, case.id) is None
    after_notice(db, at + timedelta(days=170))  # 178 days: still inside the six months
    assert open_task(db, case.id) is None
    after_notice(db, at + timedelta(days=180))
    task = open_task(db, case.id)
    assert task.step == "exit_confirmation" and task.level == "district"
    tasks.complete(db, world.user("dist"), task.id, {"decision": "approve"},
                   now=at + timedelta(days=190))
    db.refresh(case)
    assert case.status == "exited"
    assert benefits.current(db, enrolled.id).source == f"exit:{case.id}"


# ---------------------------------------------------------------- generic chain


def test_generic_chain_runs_from_household_head_to_assigned_help(world):
    db = world.db
    case = start(world, "generic_poverty_registration")
    steps, _ = work(world, case)
    db.refresh(case)
    assert case.status == "approved"
    assert steps == ["group_evaluation", "village_examination", "township_review",
                     "district_approval", "registration", "data_entry", "assign_help"]
    levels = db.scalars(select(HumanTask.level).where(HumanTask.case_id == case.id)
                        .order_by(HumanTask.id)).all()
    assert levels == ["village", "village", "township", "district", "village", "district",
                      "township"]
    data = workflow_data(db, case)
    assert "standard_yearly" not in data and data["per_capita_income"] == Decimal(6800) / 3
    assert data["eligible"] is True
    # the spouse can work: registered for project help, no dibao and no monthly top-up
    assert (data["members_able_to_work"], data["dibao_applies"]) == (1, False)
    assert data["proposed_amount"] == data["amount"] == 0
    assert benefit(db, case).monthly_amount == Decimal("0.00")
    assert data["helper_name"] == "马丽霞"


def test_generic_chain_tops_up_only_a_household_the_table_puts_under_dibao(world):
    """"对没有发展能力的贫困人口予以低保救助": no member able to work, so dibao applies."""
    db = world.db
    case = start(world, "generic_poverty_registration",
                 household([{"category": "business", "amount": 6800.0}], labour="partial"))
    work(world, case)
    db.refresh(case)
    assert case.status == "approved"
    data = workflow_data(db, case)
    assert (data["members_able_to_work"], data["dibao_applies"]) == (0, True)
    assert data["proposed_amount"] == data["amount"] == Decimal("117.33")  # (228 − 188.89) × 3
    assert benefit(db, case).monthly_amount == Decimal("117.33")
