"""Each region's standard is dated data, the one source identification, reviews and
recalculation read (engine/money/standards.py); money is exact, rounded once
(engine/store/amounts.py)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine.casework import cases, reviews, tasks
from engine.money import benefits, standards
from engine.people import accounts
from engine.store.errors import Conflict, Forbidden, Invalid, ModelError, NotFound
from engine.store.models import Benefit, Case, OrgUnit, Standard
from engine.time import clock
from engine.workflow import procedures
from tests.engine.test_regions import BPMN, DAY, household, start, work, workflow_data
from tests.factories import make_world, open_task

ENROLLED = datetime(2026, 3, 2, 2, tzinfo=UTC)
ADJUSTED = datetime(2026, 6, 1, 2, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 1, 1, tzinfo=UTC)
ADJUSTMENT = {"new_standard": 350, "effective_from": "2026-07-01",
              "document_no": "阜政发〔2026〕12号", "basis": "省定最低标准提高"}
CHECK = {"checked_on": DAY, "investigators": "张伟、刘芳", "home_visit": True,
         "economic_check": "consistent", "escaped_through_project": False}


@pytest.fixture
def world(db):
    w = make_world(db, deploy=False)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "fuxin"))
    return w


def three_people_with(income_yearly: float) -> dict:
    """A household of three whose counted income is `income_yearly` (wages)."""
    return household([{"category": "wages", "amount": income_yearly}])


def adjust(world, application: dict, at: datetime):
    dist = world.user("dist")
    case = cases.start(world.db, dist, "fuxin_standard_adjustment", "D1", application, now=at)
    review = open_task(world.db, case.id)
    tasks.complete(world.db, dist, review.id, {"opinion": "同意", "decision": "approve"}, now=at)
    tasks.complete(world.db, dist, open_task(world.db, case.id).id,
                   {"published_on": at.date().isoformat(), "channel": "市政府网站"}, now=at)
    world.db.refresh(case)
    return case


FUXIN_2017_DOCUMENT = "阜政办发〔2017〕30号：农村低保标准（数额为假定，文件未给出，见 README）"


def test_fuxin_adjustment_recalculation_and_review_stay_on_the_new_standard(world):
    """The bug: 600 → 800 after the adjustment, and the review set it back to 599.99 with the
    3,400/yr still written in income.dmn."""
    db = world.db
    enrolled = start(world, "fuxin_identification", three_people_with(3000.0), at=ENROLLED)
    work(world, enrolled, at=ENROLLED)
    # (3400/12 − 1000/12) × 3 = 600 exactly: the standard is not rounded before the formula
    assert benefits.current(db, enrolled.id).monthly_amount == Decimal("600.00")

    case = adjust(world, ADJUSTMENT, ADJUSTED)
    assert case.status == "approved"
    assert [(s.effective_from, s.amount, s.period) for s in standards.history(db, "D1")] == [
        (date(2026, 7, 1), 350, "month"), (date(2017, 1, 1), 3400, "year")]
    assert benefits.run_jobs(db, ADJUSTED) == 1
    now = benefits.current(db, enrolled.id)
    assert (now.monthly_amount, str(now.effective_from)) == (
        Decimal("800.00"), "2026-07-01")  # (350 − 1000/12) × 3: the standard of 2026-07-01

    reviews.start_yearly(db, world.user("dist"), "D1", "fuxin_review", now=DECEMBER)
    reviews.run_jobs(db, DECEMBER)
    review = db.scalars(select(type(enrolled)).where(
        type(enrolled).household_id == enrolled.household_id,
        type(enrolled).id != enrolled.id)).one()
    task = open_task(db, review.id)
    tasks.complete(db, world.user("town1"), task.id,
                   {**CHECK, "incomes": [{"category": "wages", "amount": 3000.0}]}, now=DECEMBER)
    assert workflow_data(db, review)["proposed_amount"] == Decimal("800.00")
    tasks.complete(db, world.user("dist"), open_task(db, review.id).id, {"decision": "approve"},
                   now=DECEMBER)
    after = benefits.current(db, enrolled.id)
    assert (after.monthly_amount, after.source) == (Decimal("800.00"), f"review:{review.id}")


def test_a_case_decided_before_a_change_keeps_its_amount_a_new_one_uses_the_new_standard(world):
    db = world.db
    before = start(world, "fuxin_identification", three_people_with(3000.0), at=ENROLLED)
    work(world, before, at=ENROLLED)
    standards.add(db, "D1", "2026-09-01", "4800", "year", document="测试：新标准")
    later = datetime(2026, 9, 7, 2, tzinfo=UTC)
    after = start(world, "fuxin_identification", three_people_with(3000.0), at=later)
    work(world, after, at=later)
    assert benefits.current(db, before.id).monthly_amount == Decimal("600.00")
    assert workflow_data(db, before)["amount"] == Decimal("600.00")
    # (4800 − 1000) / 12 × 3 = 950
    assert benefits.current(db, after.id).monthly_amount == Decimal("950.00")


def test_a_standard_is_read_from_the_nearest_region_that_has_one(world):
    db = world.db
    standards.add(db, "T1", "2026-01-01", 500, "month")
    assert standards.in_force(db, "/D1/T1/V11/", date(2026, 5, 1)).amount == 500
    assert standards.in_force(db, "/D1/T1/V11/", date(2025, 5, 1)).amount == 3400  # D1's
    assert standards.in_force(db, "/D1/", date(2016, 5, 1)) is None
    found = standards.in_force(db, "/D1/", date(2026, 5, 1))
    # monthly from yearly and back, exactly
    assert standards.monthly(found) * 12 == 3400 and standards.yearly(found) == 3400
    assert standards.monthly(found) == Decimal(3400) / 12


@pytest.mark.parametrize("args,field", [
    (("D1", "2026-13-01", 500, "month"), "from"),
    (("D1", "someday", 500, "month"), "from"),
    (("D1", "2026-07-01", -5, "month"), "amount"),
    (("D1", "2026-07-01", 0, "month"), "amount"),
    (("D1", "2026-07-01", "五百", "month"), "amount"),
    (("D1", "2026-07-01", 500000, "month"), "amount"),
    (("D1", "2026-07-01", "500.001", "month"), "amount"),
    (("D1", "2026-07-01", 500, "week"), "period"),
    (("V11", "2026-07-01", 500, "month"), "region"),  # a village is not a region
])
def test_bad_standards_are_refused_with_the_field_named_and_change_nothing(world, args, field):
    before = world.db.scalar(select(func.count()).select_from(Standard))
    with pytest.raises(Invalid) as err:
        standards.add(world.db, *args)
    assert field in err.value.fields and all(err.value.fields[field])
    assert world.db.scalar(select(func.count()).select_from(Standard)) == before


def test_unknown_region_and_a_second_figure_for_the_same_day_are_refused(world):
    with pytest.raises(NotFound, match="X9"):
        standards.add(world.db, "X9", "2026-07-01", 500, "month")
    standards.add(world.db, "D1", "2026-07-01", 500, "month")
    standards.add(world.db, "D1", "2026-07-01", "500.00", "month")  # the same again: no change
    with pytest.raises(Conflict):
        standards.add(world.db, "D1", "2026-07-01", 510, "month")
    assert [s.amount for s in standards.history(world.db, "D1")] == [500, 3400]


def test_deploy_loads_the_bundle_figures_once_as_starting_figures(world):
    """standards.csv starts a region's standard; after that a file never changes it."""
    db = world.db
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "fuxin"))  # again
    assert len(standards.history(db, "D1")) == 1
    files = procedures.read_bundle_dir(BPMN / "fuxin")
    changed = files["standards.csv"].decode().replace(",3400,", ",3600,").encode()
    procedures.deploy(db, None, "D1", {**files, "standards.csv": changed})
    assert [s.amount for s in standards.history(db, "D1")] == [3400]
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "jiangmen"))
    assert [s.amount for s in standards.history(db, "D1")] == [3400]  # another county's file
    bad = b"scheme,from,amount,period,document\ndibao,2019-02-30,-1,day,x\n"
    bundle = procedures.bundle_from_files({**files, "standards.csv": bad})
    assert len(bundle.problems) == 3 and all("standards.csv 第 2 行" in p for p in bundle.problems)


def test_an_adjustment_without_a_standard_in_force_is_a_model_error_that_changes_nothing(db):
    world = make_world(db, deploy=False)
    files = procedures.read_bundle_dir(BPMN / "fuxin")
    files.pop("standards.csv")
    procedures.deploy(db, None, "D1", files)
    case = start(world, "fuxin_identification", three_people_with(3000.0), at=ENROLLED)
    task = open_task(db, case.id)
    tasks.complete(db, world.user("town1"), task.id,
                   {"accepted_on": DAY, "materials_complete": True, "decision": "approve"},
                   now=ENROLLED)
    task = open_task(db, case.id)
    with pytest.raises(ModelError, match="没有有效的低保标准"):
        tasks.complete(db, world.user("town1"), task.id,
                       {"investigation_date": DAY, "investigators": "张伟、刘芳",
                        "home_visit": True, "economic_check": "consistent",
                        "decision": "approve"}, now=ENROLLED)
    db.rollback()
    assert open_task(db, case.id).id == task.id


def test_topup_formula_is_exact_and_rounded_once():
    assert benefits.topup(500, 2400, 3) == Decimal("900.00")      # (500 − 200) × 3
    assert benefits.topup(500, 7200, 2) == 0                      # income above the standard
    assert benefits.topup(Decimal(3400) / 12, 1000, 3) == Decimal("600.00")
    assert benefits.topup(Decimal("433.33"), Decimal("1000.01"), 1) == Decimal("350.00")


def test_api_lists_standards_newest_first_and_refuses_an_unknown_region(world, client):
    standards.add(world.db, "D1", "2026-07-01", 350, "month", document="阜政发〔2026〕12号")
    token = accounts.issue_token(world.db, world.user("vil11"))
    headers = {"Authorization": f"Bearer {token}"}
    res = client.get("/api/standards?region=D1", headers=headers)
    assert res.status_code == 200
    assert res.json == [
        {"region": "D1", "scheme": "dibao", "from": "2026-07-01", "amount": 350.0,
         "period": "month", "document": "阜政发〔2026〕12号"},
        {"region": "D1", "scheme": "dibao", "from": "2017-01-01", "amount": 3400.0,
         "period": "year", "document": FUXIN_2017_DOCUMENT}]
    assert client.get("/api/standards?region=X9", headers=headers).status_code == 404
    assert client.get("/api/standards", headers=headers).status_code == 422
    assert client.get("/api/standards?region=D1").status_code == 401


def test_only_district_officials_may_start_a_standard_adjustment(world):
    with pytest.raises(Forbidden):
        cases.start(world.db, world.user("town1"), "fuxin_standard_adjustment", "D1", ADJUSTMENT)
    # a village's own officials take in households there, never the region's standard
    for username in ("vil11", "clerk1"):
        with pytest.raises(Forbidden, match="按地区办理"):
            cases.start(world.db, world.user(username), "fuxin_standard_adjustment", "V11",
                        ADJUSTMENT)
    with pytest.raises(Forbidden):  # the district too: a village is no region
        cases.start(world.db, world.user("dist"), "fuxin_standard_adjustment", "V11", ADJUSTMENT)
    assert world.db.scalar(select(func.count()).select_from(Case)) == 0
    assert world.db.scalar(select(func.count()).select_from(Benefit)) == 0
    # nor is a standard ever stored for a village, by a procedure's step or anyone else
    village = world.db.scalar(select(OrgUnit).where(OrgUnit.code == "V11"))
    with pytest.raises(Invalid) as refused:
        standards.store(world.db, village, standards.check("dibao", "2026-07-01", 1, "month"),
                        "test", clock.now())
    assert "不是地区" in refused.value.fields["region"][0]
