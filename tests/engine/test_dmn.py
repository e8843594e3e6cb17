"""Eligibility lives in DMN: editing a decision table changes the outcome with no code change,
and deploy refuses tables the engine cannot run as written."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select

from engine.casework import cases
from engine.money import standards
from engine.store.errors import BundleInvalid
from engine.store.models import ProcedureVersion
from engine.workflow import procedures
from engine.workflow.dmn_checks import check_dmn
from tests.engine.test_regions import BPMN, household, work, workflow_data
from tests.factories import make_world

FUXIN = BPMN / "fuxin"


@pytest.fixture
def world(db):
    return make_world(db, deploy=False)


def fuxin_case(world, at):
    # wages 12,000 for 3 people: 4,000 per person per year; the pension is not counted
    app = household([{"category": "wages", "amount": 12000.0},
                     {"category": "basic_pension", "amount": 1800.0}])
    case = cases.start(world.db, world.user("clerk1"), "fuxin_identification", "V11", app,
                       now=at)
    work(world, case, at=at, stop_at="village_evaluation")
    return case


def test_raising_the_standard_changes_the_decision_without_code_or_redeploy(world):
    db = world.db
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(FUXIN))
    first = fuxin_case(world, datetime(2026, 3, 2, 2, tzinfo=UTC))
    before = workflow_data(db, first)
    assert (before["eligible"], before["proposed_amount"]) == (False, 0.0)  # 4,000 ≥ 3,400

    standards.add(db, "D1", "2026-06-01", 4800, "year", document="新标准")
    second = fuxin_case(world, datetime(2026, 6, 8, 2, tzinfo=UTC))
    after = workflow_data(db, second)
    assert after["eligible"] is True and after["category"] == "none"
    assert after["proposed_amount"] == Decimal("200.00")  # (4800 − 4000) ÷ 12 × 3
    # the first case keeps what was decided on its day
    assert workflow_data(db, first)["eligible"] is False
    assert db.scalars(select(ProcedureVersion.version)).all() == [1, 1, 1]  # no redeploy


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


# ---------------------------------------------------------------- engine/workflow/dmn_checks.py


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
    # Spiff glues these to the input with no space: `xin [1, 5]`, never `x in [1, 5]`
    ("<text>&gt; 0</text>", "<text>in [1, 5]</text>", "直接相连"),
    ("<text>&gt; 0</text>", "<text>not in [1, 5]</text>", "写成 ? not in [1, 5]"),
    ('hitPolicy="UNIQUE"', 'hitPolicy="COLLECT" aggregation="SUM"', "aggregation"),
])
def test_entries_that_spiff_would_misread_are_reported(old, new, word):
    problems = check_dmn("eligibility.dmn", _variant(old, new))
    assert any(word in p for p in problems), problems
