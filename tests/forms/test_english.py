"""English beside Chinese in a form file: `title_en`, `label_en` (fields and options) and
`help_en`, optional for the loader, listed by Form.missing_english when absent."""

from __future__ import annotations

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
