"""Cross-checks against bureau lists (区级比对): loading, replacing, bulk matching of running
cases and enrolled households, explanations before approval, review list and follow-ups.
Dates are fixed (2026, on the shipped calendar); expected values are written out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from engine.casework import cases, hits
from engine.data import crosscheck
from engine.store.errors import Forbidden, Invalid
from engine.store.models import AuditEvent, CaseMember, CrosscheckList, CrosscheckRow, Job
from engine.time import clock
from tests.factories import after_notice, make_world, open_task, walk
from tests.forms.samples import make_id_number, valid_application, valid_step_data

AT = datetime(2026, 3, 2, 2, tzinfo=UTC)  # a Monday, 10:00 in Beijing


def family(n: int) -> dict:
    """A valid application whose three members have ID numbers of their own."""
    data = valid_application()
    numbers = [make_id_number(date(1960 + n % 30, 1 + n % 12, 1 + k), n, male=k != 1)
               for k in range(3)]
    data["head_id_number"] = numbers[0]
    for member, number, born in zip(data["members"], numbers, range(3), strict=True):
        member["id_number"] = number
        member["birth_date"] = date(1960 + n % 30, 1 + n % 12, 1 + born).isoformat()
    return data


def csv_of(*rows: str, header: str = "id_number,name,finding,as_of") -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode("utf-8")


@pytest.fixture
def world(db):
    return make_world(db)


def load(world, source: str, content: bytes, now: datetime = AT) -> CrosscheckList:
    found = crosscheck.import_list(world.db, world.user("dist"), source, "D1", "list.csv",
                                   content, now)
    crosscheck.match(world.db, found, now)
    return found


def test_a_list_hits_running_cases_and_enrolled_households_only(world):
    db = world.db
    running = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", family(1),
                          now=AT)
    enrolled = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", family(2),
                           now=AT)
    rejected = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", family(3),
                           now=AT)
    after_notice(db, walk(world, enrolled.id, ["approve"] * 5, AT))
    walk(world, rejected.id, ["reject", "done"], AT)
    db.refresh(enrolled), db.refresh(rejected)
    assert (enrolled.status, rejected.status) == ("approved", "rejected")
    spouse_1 = family(1)["members"][1]["id_number"]
    child_2 = family(2)["members"][2]["id_number"]
    head_3 = family(3)["head_id_number"]
    stranger = make_id_number(date(1950, 5, 5), 77)

    found = load(world, "human_resources", csv_of(
        f"{spouse_1},李秀英,领取城镇职工养老金 3200 元/月,2026-02-28",
        f"{child_2},王小明,在企业就业,2026-02-28",
        f"{head_3},王建国,在企业就业,2026-02-28",
        f"{stranger},赵六,在企业就业,"))

    assert (found.row_count, found.hit_count) == (4, 2)
    on_running = hits.of_case(db, running.id)
    assert [(h.source, h.member, h.finding, h.as_of, h.explained) for h in on_running] == [
        ("human_resources", "李秀英", "领取城镇职工养老金 3200 元/月", date(2026, 2, 28), False)]
    assert on_running[0].household_id == running.household_id
    assert [(h.member, h.finding) for h in hits.of_case(db, enrolled.id)] == [
        ("王小明", "在企业就业")]
    assert hits.of_case(db, rejected.id) == []
    job = db.get(Job, found.job_id)
    assert (job.status, job.total, job.done) == ("done", 4, 4)
    stranger_row = db.scalar(select(CrosscheckRow).where(CrosscheckRow.id_number == stranger))
    assert stranger_row.as_of == date(2026, 3, 2)  # no as_of: the day it was loaded
    assert db.scalar(select(func.count()).select_from(CaseMember)) == 9


def test_a_new_list_replaces_the_previous_one_and_keeps_explanations(world):
    db = world.db
    case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", family(4),
                       now=AT)
    head = family(4)["head_id_number"]
    first = load(world, "vehicles", csv_of(f"{head},王建国,名下小型轿车一辆,2026-01-31"))
    hit = hits.of_case(db, case.id)[0]
    crosscheck.explain(db, world.user("dist"), case.id, hit.id, "车辆已于2025年报废，见车管证明",
                       AT)
    second = load(world, "vehicles", csv_of(
        f"{head},王建国,名下小型轿车一辆,2026-02-28",
        f"{family(4)['members'][1]['id_number']},李秀英,名下货车一辆,2026-02-28"))

    db.refresh(first)
    assert first.replaced_at is not None and second.replaced_at is None
    assert (first.sha256 != second.sha256, first.imported_by_name) == (True, "dist")
    now_hits = hits.of_case(db, case.id)
    assert [(h.finding, h.explanation) for h in now_hits] == [
        ("名下小型轿车一辆", "车辆已于2025年报废，见车管证明"), ("名下货车一辆", None)]
    actions = db.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("crosscheck.%")).order_by(AuditEvent.id)).all()
    assert actions == ["crosscheck.imported", "crosscheck.matched", "crosscheck.explained",
                       "crosscheck.imported", "crosscheck.matched"]


def test_a_case_opened_after_the_list_is_matched_on_opening(world):
    db = world.db
    head = family(5)["head_id_number"]
    load(world, "public_security", csv_of(f"{head},王建国,户籍已迁出本区,2026-02-01"))
    case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", family(5),
                       now=AT)
    assert [(h.source, h.finding) for h in hits.of_case(db, case.id)] == [
        ("public_security", "户籍已迁出本区")]


def test_district_approval_needs_every_hit_explained(world):
    db = world.db
    case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", family(6),
                       now=AT)
    at = walk(world, case.id, ["approve", "approve"], AT)
    at = after_notice(db, at)
    load(world, "real_estate", csv_of(f"{family(6)['head_id_number']},王建国,城区住房一套,"))
    task = open_task(db, case.id)
    assert task.step == "district_crosscheck"
    with pytest.raises(Invalid) as refused:
        cases_tasks_complete(world, task.id, "approve")
    assert refused.value.fields == {"crosscheck": [
        "该案件有 1 条部门比对命中尚未说明，请逐条填写核实说明后再审批通过"]}
    assert open_task(db, case.id).id == task.id  # nothing stored
    cases_tasks_complete(world, task.id, "return")  # returning needs no explanation
    hit = hits.of_case(db, case.id)[0]
    crosscheck.explain(db, world.user("dist"), case.id, hit.id, "住房为租住，产权人非家庭成员")
    assert hits.of_case(db, case.id)[0].explained is True


def cases_tasks_complete(world, task_id: int, decision: str) -> None:
    from engine.casework import tasks

    data = valid_step_data("district_crosscheck", decision)
    tasks.complete(world.db, world.user("dist"), task_id, data, now=AT)


def test_explaining_is_for_district_officials_and_needs_text(world):
    db = world.db
    case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", family(7),
                       now=AT)
    load(world, "market_regulation", csv_of(f"{family(7)['head_id_number']},王建国,个体工商户,"))
    hit = hits.of_case(db, case.id)[0]
    with pytest.raises(Forbidden):
        crosscheck.explain(db, world.user("town1"), case.id, hit.id, "说明")
    with pytest.raises(Invalid) as empty:
        crosscheck.explain(db, world.user("dist"), case.id, hit.id, "  ")
    assert empty.value.fields == {"text": ["请填写核实说明"]}


def test_a_bad_file_lists_each_bad_row_and_changes_nothing(world):
    db = world.db
    good = family(8)["head_id_number"]
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(Invalid) as refused:
        crosscheck.import_list(db, world.user("dist"), "vehicles", "D1", "bad.csv", csv_of(
            f"{good},王建国,名下轿车,2026-02-01",
            f"{bad_check},李四,名下轿车,2026-02-01",
            f"{good},王建国,名下轿车,2026-02-02",
            f"{good},,,2027-01-01",
            f"{good},王建国,城区住房一套,两辆车,2026-02-01"), AT)
    assert str(refused.value) == "名单有 4 行有误，未导入任何数据"
    assert refused.value.fields == {
        "rows.3": [f"“{bad_check}”：身份证号码校验位错误"],
        "rows.4": ["与第 2 行重复（同一身份证号码、同一比对结果）"],
        "rows.5": ["姓名为空", "比对结果（finding）为空",
                   "名单日期“2027-01-01”应为不晚于今天的 YYYY-MM-DD"],
        # an unquoted comma: the finding would be cut and the date read from its second half
        "rows.6": ["值的个数多于表头的 4 列（含逗号的内容请加英文双引号）",
                   "名单日期“两辆车”应为不晚于今天的 YYYY-MM-DD"],
    }
    assert db.scalar(select(func.count()).select_from(CrosscheckList)) == 0
    with pytest.raises(Invalid) as header:
        crosscheck.import_list(db, world.user("dist"), "vehicles", "D1", "h.csv",
                               b"sfz,xm\n1,2\n", AT)
    assert list(header.value.fields) == ["file"]
    with pytest.raises(Invalid) as source:
        crosscheck.import_list(db, world.user("dist"), "weather", "D1", "h.csv", b"x", AT)
    assert list(source.value.fields) == ["source"]
    with pytest.raises(Forbidden):
        crosscheck.import_list(db, world.user("town1"), "vehicles", "D1", "h.csv", b"x", AT)


def test_hits_on_enrolled_households_make_a_review_list_that_opens_an_exit(world):
    db = world.db
    enrolled = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", family(9),
                           now=AT)
    after_notice(db, walk(world, enrolled.id, ["approve"] * 5, AT))
    load(world, "public_payroll", csv_of(f"{family(9)['head_id_number']},王建国,财政供养人员,"))
    items = crosscheck.review_list(db, world.user("dist"))
    assert [(i.hit.member, i.holder.id, i.running_case_id) for i in items] == [
        ("王建国", enrolled.id, None)]
    exit_case = crosscheck.open_followup(db, world.user("dist"), items[0].hit.id, "exit")
    shown = cases.detail(db, world.user("dist"), exit_case.id)
    assert (shown.version.key, exit_case.household_id, exit_case.status) == (
        "linzi_exit", enrolled.household_id, "running")
    again = crosscheck.review_list(db, world.user("dist"))
    assert again[0].running_case_id == exit_case.id
    with pytest.raises(Forbidden):
        crosscheck.review_list(db, world.user("town1"))


def test_a_hit_on_an_enrolled_household_opens_a_review(world):
    db = world.db
    enrolled = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                           family(10), now=AT)
    after_notice(db, walk(world, enrolled.id, ["approve"] * 5, AT))
    spouse = family(10)["members"][1]["id_number"]
    load(world, "real_estate", csv_of(f"{spouse},李秀英,城区住房一套,"))
    item = crosscheck.review_list(db, world.user("dist"))[0]
    review = crosscheck.open_followup(db, world.user("dist"), item.hit.id, "review")
    shown = cases.detail(db, world.user("dist"), review.id)
    assert (shown.version.key, review.household_id) == ("linzi_review", enrolled.household_id)
    with pytest.raises(Invalid) as bad_kind:
        crosscheck.open_followup(db, world.user("dist"), item.hit.id, "promote")
    assert list(bad_kind.value.fields) == ["kind"]


def test_the_demo_ships_a_list_with_a_hit_at_the_step_and_one_on_an_enrolled_household(db):
    from engine import demo
    from engine.casework import tasks
    from engine.people import accounts
    from engine.store.models import HumanTask

    with clock.frozen(datetime(2026, 11, 2, 1, 0, tzinfo=UTC)):  # inside the seeded calendar
        assert demo.load(db)
    listed = db.scalars(select(CrosscheckList)).all()
    assert [(x.source, x.row_count, x.hit_count) for x in listed] == [("human_resources", 2, 2)]
    district = accounts.by_username(db, "qu_shenpi")
    at_step = db.scalar(select(HumanTask).where(HumanTask.step == "district_crosscheck",
                                                HumanTask.completed_at.is_(None))
                        .order_by(HumanTask.id).limit(1))
    assert [h.finding for h in hits.of_case(db, at_step.case_id)] == ["在企业就业，月工资 3500 元"]
    form = tasks.detail(db, district, at_step.id).form
    assert hits.prefill(db, at_step.case, {f.name for f in form.fields})["human_resources"] \
        == "inconsistent"
    assert len(crosscheck.review_list(db, district)) == 1
