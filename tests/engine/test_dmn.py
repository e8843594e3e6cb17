"""Eligibility lives in DMN: editing a decision table changes the outcome with no code change,
and deploy refuses tables the engine cannot run as written."""

from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import select

from engine import cases, clock, procedures
from engine.dmn_checks import check_dmn
from engine.errors import BundleInvalid
from engine.models import ProcedureVersion
from tests.engine.test_regions import BPMN, household, work, workflow_data
from tests.factories import make_world

FUXIN = BPMN / "fuxin"


@pytest.fixture
def world(db):
    return make_world(db, deploy=False)


def fuxin_case(world):
    # wages 12,000 for 3 people: 4,000 per person per year; the pension is not counted
    app = household([{"category": "wages", "amount": 12000.0},
                     {"category": "basic_pension", "amount": 1800.0}])
    case = cases.start(world.db, world.user("clerk1"), "fuxin_identification", "V11", app,
                       now=clock.now())
    work(world, case, stop_at="village_evaluation")
    return case


def test_raising_the_standard_in_the_dmn_changes_the_decision_without_code(world):
    db = world.db
    files = procedures.read_bundle_dir(FUXIN)
    procedures.deploy(db, None, "D1", files)
    first = fuxin_case(world)
    before = workflow_data(db, first)
    assert (before["eligible"], before["proposed_amount"]) == (False, 0.0)

    text = files["income.dmn"].decode("utf-8")
    # the yearly standard, and the monthly one derived from it
    for old in ("<text>3400</text>", "fen(3400 / 12)"):
        assert text.count(old) == 1
        text = text.replace(old, old.replace("3400", "4800"))
    files2 = {**files, "income.dmn": text.encode("utf-8")}
    procedures.deploy(db, None, "D1", files2)
    versions = db.scalars(select(ProcedureVersion.version).where(
        ProcedureVersion.key == "fuxin_identification")).all()
    assert sorted(versions) == [1, 2]

    second = fuxin_case(world)
    after = workflow_data(db, second)
    assert after["standard_yearly"] == 4800 and after["standard"] == 400.0
    assert after["eligible"] is True and after["category"] == "none"
    assert after["proposed_amount"] == 200.0  # (400 − 4000 ÷ 12) × 3
    # the first case keeps the version it started on
    assert workflow_data(db, first)["eligible"] is False


def test_deploy_refuses_hit_policy_first(world):
    files = procedures.read_bundle_dir(FUXIN)
    text = files["eligibility.dmn"].decode("utf-8")
    bad = {**files, "eligibility.dmn": text.replace('hitPolicy="UNIQUE"', 'hitPolicy="FIRST"')
           .encode("utf-8")}
    with pytest.raises(BundleInvalid) as info:
        procedures.deploy(world.db, None, "D1", bad)
    message = " ".join(info.value.problems)
    assert "eligibility.dmn" in message and "FIRST" in message
    assert "只能使用 UNIQUE 或 COLLECT" in message


# ---------------------------------------------------------------- engine/dmn_checks.py


def _root(path):
    return etree.fromstring(path.read_bytes())


@pytest.mark.parametrize("name", ["fuxin/income.dmn", "fuxin/eligibility.dmn",
                                  "jiangmen/income.dmn", "jiangmen/eligibility.dmn",
                                  "jiangmen/scheme.dmn", "generic/income.dmn",
                                  "generic/eligibility.dmn"])
def test_the_bundled_tables_pass_the_dmn_checks(name):
    assert check_dmn(name, _root(BPMN / name)) == []


def _variant(old: str, new: str):
    text = (FUXIN / "eligibility.dmn").read_text(encoding="utf-8")
    assert old in text
    return etree.fromstring(text.replace(old, new, 1).encode("utf-8"))


def test_a_unique_table_without_a_catch_all_last_rule_is_reported():
    text = (FUXIN / "eligibility.dmn").read_text(encoding="utf-8")
    head, _sep, _tail = text.rpartition('<rule id="fuxin_eligibility_rule7">')
    root = etree.fromstring((head + "</decisionTable></decision></definitions>").encode())
    problems = check_dmn("eligibility.dmn", root)
    assert any("兜底" in p and "eligibility.dmn" in p for p in problems), problems


@pytest.mark.parametrize("old,new,word", [
    ("<text>&gt; 0</text>", "<text>[1..10]</text>", "FEEL"),
    ("<text>&gt; 0</text>", "<text>&gt;= 3, &lt; 10</text>", "FEEL"),
    ("<text>False</text>", "<text>false</text>", "false"),
    ("<text>&gt; 0</text>", "<text>not(0)</text>", "not("),
    ("<text>&gt; 0</text>", "<text>__import__('os')</text>", "不安全"),
    ('hitPolicy="UNIQUE"', 'hitPolicy="COLLECT" aggregation="SUM"', "aggregation"),
])
def test_entries_that_spiff_would_misread_are_reported(old, new, word):
    problems = check_dmn("eligibility.dmn", _variant(old, new))
    assert any(word in p for p in problems), problems
