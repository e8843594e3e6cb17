"""Exit and 销号 (临扶组字〔2017〕3号: 建立扶贫对象销号制度，完善贫困人口退出标准和程序),
in Linzi and the generic chain: an exit is proposed for a household on the roll, named by
household (not by re-entering an application), checked by the township with the income test
against the standard, posted in the village, confirmed by the district, and ends with a 销号
record (day, reason, document) beside the benefit's end. A refusal or a withdrawal leaves the
household as it was. Dates are written out (2026, on the shipped calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine.casework import cases, tasks
from engine.money import benefits
from engine.people import accounts
from engine.store.errors import Invalid
from engine.store.models import Case, Household, HouseholdExit
from engine.workflow import procedures
from tests.engine.test_regions import BPMN, work, workflow_data
from tests.factories import after_notice, make_world, open_task, walk
from tests.forms.samples import HEAD_BIRTH, make_id_number, valid_application

ENROL_AT = datetime(2026, 3, 2, 2, tzinfo=UTC)  # Monday 2 March 2026, 10:00 in Beijing
PROPOSED_AT = datetime(2026, 5, 11, 2, tzinfo=UTC)  # Monday 11 May, 10:00
CHECKED_AT = datetime(2026, 5, 12, 2, tzinfo=UTC)  # Tuesday 12 May
CONFIRMED_AT = datetime(2026, 5, 25, 2, tzinfo=UTC)  # Monday 25 May, after the 7-day notice
ALL_HAVE = ["ledger", "project", "cadre", "medical_team", "health_cover", "carer", "insurance",
            "education"]
ALL_STANDARDS = ["road", "water", "housing", "environment", "hygiene", "necessities",
                 "accessibility", "elderly"]


@pytest.fixture
def world(db):
    return make_world(db, deploy=False)


def deploy(world, bundle: str) -> None:
    procedures.deploy(world.db, None, "D1", procedures.read_bundle_dir(BPMN / bundle))


def enrolled(world, bundle: str) -> Case:
    """A household on the roll of village V11 (an approved identification with a benefit)."""
    deploy(world, bundle)
    if bundle == "linzi":
        case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                           valid_application(), now=ENROL_AT)
        after_notice(world.db, walk(world, case.id, ["approve"] * 5, ENROL_AT))
    else:
        # no one able to work: the generic table puts the household under dibao (a top-up)
        no_labour = valid_application()
        for member in no_labour["members"]:
            member["labour_capacity"] = "partial"
        case = cases.start(world.db, world.user("clerk1"), "generic_poverty_registration",
                           "V11", no_labour, now=ENROL_AT)
        work(world, case, at=ENROL_AT)
    world.db.refresh(case)
    assert case.status == "approved"
    assert benefits.current(world.db, case.id).monthly_amount > 0
    return case


def propose(world, ident: Case, key: str, reason: str = "stable_out_of_poverty") -> Case:
    return cases.start(world.db, world.user("vil11"), key, "V11",
                       {"head_id_number": ident.application["head_id_number"],
                        "exit_reason": reason, "proposal_note": "户主外出务工，收入稳定"},
                       now=PROPOSED_AT)


def step(world, case: Case, user: str, data: dict, at: datetime) -> str:
    """Complete the case's open step; returns its step id."""
    task = open_task(world.db, case.id)
    tasks.complete(world.db, world.user(user), task.id, data, now=at)
    return task.step


def township_check(bundle: str, decision: str = "approve", **changes) -> dict:
    data = {"checked_on": "2026-05-12", "exit_reason": "stable_out_of_poverty",
            "per_capita_income": 9000, "findings": "入户核查，务工收入稳定。",
            "decision": decision}
    if bundle == "linzi":
        data.update(investigators="张伟、刘芳", eight_have=ALL_HAVE, eight_standards=ALL_STANDARDS)
    if decision in ("reject", "withdraw", "return"):
        data["reason"] = "系误发起，该户仍符合条件" if decision == "withdraw" else "收入不稳定"
    return {**data, **changes}


def to_district(world, bundle: str, exit_case: Case, **check) -> None:
    """Village evaluation (generic), township check, then the 7-day village notice runs out."""
    if bundle == "generic":
        assert step(world, exit_case, "vil11", {"meeting_date": "2026-05-11",
                                                "findings": "评议同意退出。",
                                                "decision": "approve"},
                    PROPOSED_AT) == "group_evaluation"
    assert step(world, exit_case, "town1", township_check(bundle, **check),
                CHECKED_AT) == "township_check"
    assert open_task(world.db, exit_case.id) is None  # the notice runs
    after_notice(world.db, CHECKED_AT)
    task = open_task(world.db, exit_case.id)
    assert (task.step, task.level) == (
        "district_confirm" if bundle == "linzi" else "district_approval", "district")


def household_page(world, client, case: Case) -> dict:
    token = accounts.issue_token(world.db, world.user("dist"))
    answer = client.get(f"/api/households/{case.household_id}",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    return answer.json


def exit_rows(world) -> int:
    return world.db.scalar(select(func.count()).select_from(HouseholdExit))


KEYS = {"linzi": "linzi_exit", "generic": "generic_exit"}


@pytest.mark.parametrize("bundle,document", [("linzi", "临民退字〔2026〕12号"),
                                             ("generic", "西扶退字〔2026〕3号")])
def test_the_full_exit_ends_the_benefit_with_a_deregistration_record(world, client, bundle,
                                                                      document):
    ident = enrolled(world, bundle)
    exit_case = propose(world, ident, KEYS[bundle])
    assert exit_case.household_id == ident.household_id
    assert (exit_case.applicant_name, exit_case.household_size) == ("王建国", 3)
    assert exit_case.application == {  # what was submitted, not a re-entered application
        "head_id_number": ident.application["head_id_number"],
        "exit_reason": "stable_out_of_poverty", "proposal_note": "户主外出务工，收入稳定"}
    to_district(world, bundle, exit_case)
    step(world, exit_case, "dist", {"decision": "approve", "exit_document": document},
         CONFIRMED_AT)
    world.db.refresh(exit_case)
    assert exit_case.status == "exited"
    ended = benefits.current(world.db, ident.id)
    assert (ended.monthly_amount, ended.source, ended.effective_from) == (
        Decimal("0.00"), f"exit:{exit_case.id}", date(2026, 5, 25))
    record = world.db.scalar(select(HouseholdExit))
    assert (record.household_id, record.case_id, record.exited_on, record.reason,
            record.document) == (ident.household_id, exit_case.id, date(2026, 5, 25),
                                 "stable_out_of_poverty", document)
    shown = household_page(world, client, ident)
    assert shown["status"] == "exited"
    assert shown["benefit"]["ended"] is True
    assert shown["exits"] == [{"case_id": exit_case.id, "exited_on": "2026-05-25",
                               "reason": "stable_out_of_poverty", "reason_label": "稳定脱贫",
                               "document": document}]
    # Off the roll now: a second exit is refused, and nothing is stored.
    with pytest.raises(Invalid) as refused:
        propose(world, ident, KEYS[bundle], "moved_away")
    assert "不在保障名册" in refused.value.fields["head_id_number"][0]


@pytest.mark.parametrize("bundle", ["linzi", "generic"])
def test_a_refusal_at_district_confirmation_leaves_the_household_enrolled(world, client,
                                                                          bundle):
    ident = enrolled(world, bundle)
    amount = benefits.current(world.db, ident.id).monthly_amount
    exit_case = propose(world, ident, KEYS[bundle], "moved_away")
    to_district(world, bundle, exit_case, exit_reason="moved_away", per_capita_income=None)
    step(world, exit_case, "dist", {"decision": "reject", "reason": "经核实户籍未迁出"},
         CONFIRMED_AT)
    world.db.refresh(exit_case)
    assert exit_case.status == "rejected"
    kept = benefits.current(world.db, ident.id)
    assert (kept.monthly_amount, kept.source) == (amount, "approval")
    shown = household_page(world, client, ident)
    assert (shown["status"], shown["benefit"]["ended"], shown["exits"]) == ("active", False, [])
    assert exit_rows(world) == 0


@pytest.mark.parametrize("bundle", ["linzi", "generic"])
def test_an_exit_opened_in_error_is_withdrawn_and_changes_nothing(world, client, bundle):
    ident = enrolled(world, bundle)
    amount = benefits.current(world.db, ident.id).monthly_amount
    exit_case = propose(world, ident, KEYS[bundle], "deceased")
    if bundle == "generic":
        step(world, exit_case, "vil11", {"meeting_date": "2026-05-11", "findings": "评议。",
                                         "decision": "approve"}, PROPOSED_AT)
    with pytest.raises(Invalid) as missing:  # a withdrawal says why
        step(world, exit_case, "town1",
             {**township_check(bundle, "withdraw"), "reason": None}, CHECKED_AT)
    assert "reason" in missing.value.fields
    world.db.rollback()
    assert step(world, exit_case, "town1", township_check(bundle, "withdraw"),
                CHECKED_AT) == "township_check"
    world.db.refresh(exit_case)
    assert exit_case.status == "withdrawn"
    kept = benefits.current(world.db, ident.id)
    assert (kept.monthly_amount, kept.source) == (amount, "approval")
    assert household_page(world, client, ident)["status"] == "active"
    assert exit_rows(world) == 0
    again = propose(world, ident, KEYS[bundle])  # still on the roll: a new exit may start
    assert again.status == "running"


@pytest.mark.parametrize("bundle", ["linzi", "generic"])
def test_a_stable_exit_below_the_standard_goes_back_to_the_township(world, bundle):
    ident = enrolled(world, bundle)
    exit_case = propose(world, ident, KEYS[bundle])
    if bundle == "generic":
        step(world, exit_case, "vil11", {"meeting_date": "2026-05-11", "findings": "评议。",
                                         "decision": "approve"}, PROPOSED_AT)
    step(world, exit_case, "town1", township_check(bundle, per_capita_income=1000), CHECKED_AT)
    assert open_task(world.db, exit_case.id).step == "township_check"  # no notice: back
    data = workflow_data(world.db, exit_case)
    if bundle == "linzi":  # linzi_eligibility against 4,300 a year
        assert data["eligible"] is True
        assert "1000" in data["review_reason"] and "4300" in data["review_reason"]
    else:  # generic_exit_income against 2,736 a year
        assert data["income_reached"] is False
        assert "1000" in data["exit_basis"] and "2736" in data["exit_basis"]


def test_linzi_stable_exit_needs_the_income_stated_and_all_sixteen_items(world):
    ident = enrolled(world, "linzi")
    exit_case = propose(world, ident, "linzi_exit")
    with pytest.raises(Invalid) as missing:
        step(world, exit_case, "town1", township_check("linzi", per_capita_income=None),
             CHECKED_AT)
    assert "per_capita_income" in missing.value.fields
    world.db.rollback()
    step(world, exit_case, "town1",
         township_check("linzi", per_capita_income=4300, eight_have=ALL_HAVE[:7]), CHECKED_AT)
    assert open_task(world.db, exit_case.id).step == "township_check"
    assert "15/16" in workflow_data(world.db, exit_case)["review_reason"]


def test_an_exit_for_a_household_not_on_the_roll_is_refused_and_stores_nothing(world, client):
    ident = enrolled(world, "linzi")
    before = (world.db.scalar(select(func.count()).select_from(Case)),
              world.db.scalar(select(func.count()).select_from(Household)))
    stranger = make_id_number(HEAD_BIRTH, 97, male=True)
    with pytest.raises(Invalid) as refused:
        cases.start(world.db, world.user("vil11"), "linzi_exit", "V11",
                    {"head_id_number": stranger, "exit_reason": "moved_away",
                     "proposal_note": "迁往外省"}, now=PROPOSED_AT)
    assert refused.value.fields["head_id_number"] == [
        "该户不在保障名册中（甲一村没有此户主身份证号码正在享受待遇的家庭），不能办理退出或复核"]
    world.db.rollback()
    # enrolled in V11: from V12 the answer is the same as for a stranger (nothing to probe)
    with pytest.raises(Invalid) as elsewhere:
        cases.start(world.db, world.user("vil12"), "linzi_exit", "V12",
                    {"head_id_number": ident.application["head_id_number"],
                     "exit_reason": "moved_away", "proposal_note": "迁往外省"}, now=PROPOSED_AT)
    assert elsewhere.value.fields == {"head_id_number": [
        "该户不在保障名册中（甲二村没有此户主身份证号码正在享受待遇的家庭），不能办理退出或复核"]}
    world.db.rollback()
    # By API, with the household named by id: unknown, or on the roll of another village.
    token = accounts.issue_token(world.db, world.user("vil12"))
    answer = client.post("/api/cases", headers={"Authorization": f"Bearer {token}"}, json={
        "procedure": "linzi_exit", "village": "V12",
        "application": {"household_id": ident.household_id, "exit_reason": "moved_away",
                        "proposal_note": "迁往外省"}})
    assert answer.status_code == 422
    assert answer.json["error"]["fields"]["household_id"] == [
        f"甲二村的保障名册中没有编号为 {ident.household_id} 的家庭"]
    assert (world.db.scalar(select(func.count()).select_from(Case)),
            world.db.scalar(select(func.count()).select_from(Household))) == before


def test_an_exit_named_by_household_id_through_the_api(world, client):
    ident = enrolled(world, "linzi")
    token = accounts.issue_token(world.db, world.user("vil11"))
    answer = client.post("/api/cases", headers={"Authorization": f"Bearer {token}"}, json={
        "procedure": "linzi_exit", "village": "V11",
        "application": {"household_id": ident.household_id, "exit_reason": "deceased",
                        "proposal_note": "户主于2026年5月病故，家中无其他成员"}})
    assert answer.status_code == 201, answer.json
    exit_case = world.db.get(Case, answer.json["id"])
    assert exit_case.household_id == ident.household_id
    assert exit_case.application["head_id_number"] == ident.application["head_id_number"]
    assert open_task(world.db, exit_case.id).step == "township_check"
