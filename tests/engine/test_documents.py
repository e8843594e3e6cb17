"""Print documents on the engine: a bundle's documents/ checked and kept with its version,
and the plain data a case's documents print (scoped, codes named as their forms name them)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.casework import cases, documents
from engine.store.errors import BundleInvalid, NotFound
from engine.store.models import ProcedureVersion
from engine.time import clock
from engine.workflow import designer, procedures
from engine.workflow import documents as bundle_documents
from tests.factories import LINZI, make_world, valid_application, walk


@pytest.fixture
def world(db):
    return make_world(db)


def files_with(docs: dict[str, str]) -> dict[str, bytes]:
    files = procedures.read_bundle_dir(LINZI)
    files.update({f"documents/{name}": text.encode() for name, text in docs.items()})
    return files


def test_deploy_keeps_a_bundles_documents_with_every_version(world):
    versions = procedures.deploy(world.db, None, "D1", files_with({
        "refusal_notice.html": "<p>{{ household.head_name }}</p>",
        "facts.yaml": "hotline: '0533-1234567'\n"}))
    assert {v.key for v in versions} == {"linzi_identification", "linzi_review", "linzi_exit"}
    for v in versions:
        assert v.documents == {"refusal_notice.html": "<p>{{ household.head_name }}</p>",
                               "facts.yaml": "hotline: '0533-1234567'\n"}
    assert documents_facts(versions[0]) == {"hotline": "0533-1234567"}


def documents_facts(version):
    return bundle_documents.facts(version.documents["facts.yaml"])


def test_broken_documents_are_refused_with_every_problem_and_nothing_deployed(world):
    before = world.db.scalar(select(func.count()).select_from(ProcedureVersion))
    with pytest.raises(BundleInvalid) as err:
        procedures.deploy(world.db, None, "D1", files_with({
            "refusal_notice.html": "<p>{% if case.id %}没有结束</p>",
            "letter.html": "<p>hello</p>",
            "facts.yaml": "hotline: [1, 2]\nBad-Key: x\n"}))
    problems = err.value.problems
    syntax = "documents/refusal_notice.html 第 1 行：模板语法错误"
    assert any(p.startswith(syntax) for p in problems)
    assert any(p.startswith("documents/letter.html：未知的文书模板，应为 confirmation_sheet.html"
                            "（审核确认表）") for p in problems)
    assert "documents/facts.yaml：hotline 的值应为一段文字" in problems
    assert "documents/facts.yaml：名称 'Bad-Key' 应为小写英文字母、数字和下划线" in problems
    assert world.db.scalar(select(func.count()).select_from(ProcedureVersion)) == before
    assert designer.validate_bundle(files_with({"notice_poster.html": "{{ x"})) == [
        "documents/notice_poster.html 第 1 行：模板语法错误：unexpected end of template, "
        "expected 'end of print statement'."]


def test_the_confirmation_sheet_names_results_and_officials_as_forms_and_accounts_do(world):
    world.user("town1").display_name = "刘镇审"
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=clock.now())
    walk(world, case.id, ["approve", "return"], clock.now())
    sheet = documents.confirmation_sheet(world.db, world.user("dist"), case.id)
    assert sheet["places"]["township"] == "甲镇" and sheet["places"]["district"] == "测试区"
    assert sheet["members"]["columns"][:3] == ["与户主关系", "姓名", "身份证号码"]
    assert sheet["members"]["rows"][1][:2] == ["配偶", "李秀英"]
    assert sheet["incomes"]["rows"] == [["家庭经营净收入", "6,800.00", "种植小麦、玉米"],
                                        ["中央确定的城乡居民基本养老保险基础养老金（不计入家庭收入）",
                                         "1,680.50", ""]]
    assert str(sheet["income_total"]) == "6800.00"  # the basic pension is not counted
    assert str(sheet["income_monthly_per_person"]) == "188.89"
    town = sheet["steps"][1]
    assert (town["name"], town["org"], town["official"]) == ("镇（街道）审核确认", "甲镇", "刘镇审")
    assert town["result"] == "退回村级重新评议"
    assert town["opinion"][0] == {"name": "investigation_date", "label": "调查核实日期",
                                  "type": "date", "text": "2024年3月12日"}
    assert {"name": "reason", "label": "退回或不同意的理由", "type": "text",
            "text": "材料不全，需补充家庭收入证明。"} in town["opinion"]
    assert [n["name"] for n in sheet["notices"]] == ["村级公示（7天）"]
    with pytest.raises(NotFound, match="该案件没有不予认定决定"):
        documents.refusal_notice(world.db, world.user("town1"), case.id)
    with pytest.raises(NotFound):
        documents.confirmation_sheet(world.db, world.user("town2"), case.id)
