"""English beside Chinese in a form file: `title_en`, `label_en` (fields and options) and
`help_en`, optional for the loader, listed by Form.missing_english when absent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from forms import load_form
from tests.forms.test_definition import only_problem

FORM = """
key: demo
title: 村级民主评议
title_en: Village democratic appraisal
fields:
  - name: members
    type: rows
    label: 家庭成员
    label_en: Household members
    help: 逐人填写
    help_en: One row per person
    fields:
      - name: relation
        type: choice
        label: 与户主关系
        options:
          - {value: self, label: 户主, label_en: Head of household}
          - {value: spouse, label: 配偶}
  - name: opinion
    type: text
    label: 评议意见
"""


def test_english_texts_are_read_and_described_beside_the_chinese():
    form = load_form(FORM)
    members = form.field("members")
    assert (form.title_en, members.label_en, members.help_en) == (
        "Village democratic appraisal", "Household members", "One row per person")
    relation = form.field("members.relation")
    assert [o.label_en for o in relation.options] == ["Head of household", None]
    described = form.describe()
    assert described["title_en"] == "Village democratic appraisal"
    row = described["fields"][0]
    assert (row["label_en"], row["help_en"]) == ("Household members", "One row per person")
    assert row["fields"][0]["options"] == [
        {"value": "self", "label": "户主", "label_en": "Head of household"},
        {"value": "spouse", "label": "配偶"},
    ]


def test_missing_english_lists_every_text_without_it():
    assert load_form(FORM).missing_english() == [
        "members.relation", "members.relation=spouse", "opinion"]
    bare = load_form("key: demo\ntitle: 示例\nfields: [{name: a, type: string, label: 甲, "
                     "help: 提示}]")
    assert bare.missing_english() == ["title", "a", "a.help"]


def test_a_blank_or_misplaced_english_text_is_refused_by_name():
    data = yaml.safe_load(FORM)
    data["fields"][1]["label_en"] = "  "
    assert only_problem(yaml.safe_dump(data, allow_unicode=True)) == (
        "<string>：字段“opinion”的英文标签 label_en 应为非空文字。")
    data = yaml.safe_load(FORM)
    data["fields"][1]["help_en"] = "Your opinion"
    assert only_problem(yaml.safe_dump(data, allow_unicode=True)) == (
        "<string>：字段“opinion”设置了英文提示 help_en，但没有中文提示 help。")
    data = yaml.safe_load(FORM)
    data["title_en"] = ""
    assert "英文标题 title_en 应为非空文字" in only_problem(
        yaml.safe_dump(data, allow_unicode=True))
    data = yaml.safe_load(FORM)
    data["fields"][0]["fields"][0]["options"][1]["label_en"] = 3
    assert only_problem(yaml.safe_dump(data, allow_unicode=True)) == (
        "<string>：字段“members.relation”的第2个选项的英文标签 label_en 应为非空文字。")


ROOT = Path(__file__).resolve().parents[2]
FORM_FILES = sorted([*ROOT.glob("forms/*.yaml"), *ROOT.glob("bpmn/*/forms/*.yaml")])
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def english_texts(form) -> list[str]:
    def walk(fields):
        for f in fields:
            yield from (t for t in (f.label_en, f.help_en) if t)
            yield from (o.label_en for o in f.options or ())
            yield from walk(f.fields or ())
    return [form.title_en, *walk(form.fields)]


def test_the_walk_covers_the_shared_forms_and_every_bundle():
    bundles = {p.parts[-3] for p in FORM_FILES if "bpmn" in p.parts}
    assert bundles == {p.name for p in (ROOT / "bpmn").iterdir() if p.is_dir()}
    assert len(FORM_FILES) >= 38


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_title_field_option_and_help_of_every_form_has_english(path):
    form = load_form(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert form.missing_english() == []
    assert [t for t in english_texts(form) if CJK.search(t)] == [], "English, not Chinese"
