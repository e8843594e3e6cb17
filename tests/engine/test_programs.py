"""Program matching (民生保障项目自动匹配): Jiangmen's COLLECT table, run for each member by the
identification procedure, shown on the case and household pages and listed per program."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.money import programs
from engine.store.errors import Forbidden
from engine.workflow import procedures, spiff
from tests.engine.test_regions import BPMN, start, work
from tests.factories import make_world
from tests.forms.samples import valid_application

AT = datetime(2026, 3, 2, 2, tzinfo=UTC)
LATER = datetime(2026, 4, 1, 2, tzinfo=UTC)  # the benefit runs from 2026-03-10


@pytest.fixture
def world(db):
    w = make_world(db, deploy=False)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "jiangmen"))
    return w


def enrolled(world):
    """The sample household (tests/forms/samples.py): the head (born 1968-03-15, partly able to
    work, disability grade 3, 高血压), the spouse (born 1970-11-02, able to work, farming) and the
    child (born 2006-06-30, no labour capacity, 在校学生). Wages 6,000 a year."""
    app = valid_application(incomes=[{"category": "wages", "amount": 6000.0}])
    case = start(world, "jiangmen_identification", app, at=AT)
    work(world, case, at=AT)
    world.db.refresh(case)
    assert case.status == "approved"
    return case


def test_the_table_is_collect_and_checked():
    bundle = procedures.bundle_from_files(procedures.read_bundle_dir(BPMN / "jiangmen"))
    models, problems = spiff.check_bundle(bundle.bpmn, bundle.dmn)
    assert problems == []
    model = models["jiangmen_identification"]
    assert model.decisions["jiangmen_programs"].decision_table.hit_policy == "COLLECT"
    rows = programs.evaluate(model, "jiangmen_programs", [
        {"name": "甲", "birth_date": "2008-06-01", "occupation": "在校学生",
         "labour_capacity": "none"},
        {"name": "乙", "birth_date": "1990-01-01", "labour_capacity": "full"},
        {"name": "丙", "birth_date": "1950-01-01", "labour_capacity": "full",
         "disability_grade": "1", "chronic_illness": "糖尿病"}],
        {}, ("occupation", "chronic_illness", "disability_grade", "labour_capacity"),
        "2026-03-02")
    # 甲 is 17 and a student: education once, not twice; 乙 is 36 and able to work: employment;
    # 丙 is 76: too old for employment help, but ill and disabled
    assert [(m["name"], p) for m, p, _b in rows] == [
        ("甲", "教育资助"), ("乙", "就业帮扶"), ("丙", "医疗救助"), ("丙", "残疾人两项补贴")]
    with pytest.raises(Exception, match="COLLECT"):
        programs.evaluate(model, "jiangmen_scheme", [{}], {}, (), "2026-03-02")


def test_identification_records_the_matches_and_the_district_lists_them(world):
    case = enrolled(world)
    found = [(m.program, m.member_name) for m in programs.for_case(world.db, case.id)]
    # on 2026-03-02 the head is 57: ill and disabled, only partly able to work (no employment
    # help); the spouse is 55 and able to work: employment help; the child is 19, too old for
    # the school-age rule, but a student: education. Listed by program name, then as found.
    assert found == [("医疗救助", "王建国"), ("就业帮扶", "李秀英"), ("教育资助", "王小明"),
                     ("残疾人两项补贴", "王建国")]
    assert programs.for_household(world.db, case.household_id) == programs.for_case(world.db,
                                                                                      case.id)
    region, lists = programs.district_list(world.db, world.user("dist"), "D1", now=LATER)
    assert region.code == "D1"
    assert list(lists) == ["医疗救助", "就业帮扶", "教育资助", "残疾人两项补贴"]
    child = lists["教育资助"][0]
    assert (child.member_name, child.head_name, child.case_id) == ("王小明", "王建国", case.id)
    assert child.id_number_masked[:6] + child.id_number_masked[-4:] == (
        case.application["members"][2]["id_number"][:6]
        + case.application["members"][2]["id_number"][-4:])
    assert "*" * 8 in child.id_number_masked
    with pytest.raises(Forbidden):
        programs.district_list(world.db, world.user("vil11"), "V11", now=AT)
