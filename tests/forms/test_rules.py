"""Cross-field rules declared in form YAML (forms/rules.py): each kind accepts what paper would
and refuses the impossible with a Chinese message naming the fields; bad rules fail at load."""

from datetime import date
from pathlib import Path

import pytest
import yaml

from forms import FormDefinitionError, FormInvalid, load_form, load_shared_forms
from forms.rules import TodayMissing

TODAY = date(2026, 11, 30)
ROOT = Path(__file__).resolve().parents[2]

VOTE_FIELDS = [
    {"name": "meeting_date", "type": "date", "label": "评议会日期", "required": True},
    {"name": "attendees", "type": "integer", "label": "参会人数", "required": True},
    {"name": "votes_for", "type": "integer", "label": "赞成票数", "required": True},
    {"name": "votes_against", "type": "integer", "label": "反对票数", "required": True},
    {
        "name": "decision",
        "type": "choice",
        "label": "评议结论",
        "required": True,
        "options": [
            {"value": "approve", "label": "同意推荐"},
            {"value": "reject", "label": "不予推荐"},
        ],
    },
]


def form_with(rules, fields=None):
    text = yaml.safe_dump(
        {"key": "t", "title": "测试", "fields": fields or VOTE_FIELDS, "rules": rules},
        allow_unicode=True,
    )
    return load_form(text, "bpmn/x/forms/t.yaml")


def votes(**overrides):
    data = {
        "meeting_date": "2026-11-20",
        "attendees": 10,
        "votes_for": 7,
        "votes_against": 3,
        "decision": "approve",
    }
    return {**data, **overrides}


def refused(form, data, today=TODAY):
    with pytest.raises(FormInvalid) as exc:
        form.validate(data, today=today)
    return exc.value.fields


def problems(rules, fields=None):
    with pytest.raises(FormDefinitionError) as exc:
        form_with(rules, fields)
    return exc.value.problems


# ---------------------------------------------------------------- not_after_today


DATE_RULE = [{"kind": "not_after_today", "field": "meeting_date"}]


@pytest.mark.parametrize("day", ["2026-11-30", "2020-01-01"])
def test_a_date_up_to_today_is_accepted(day):
    assert (
        form_with(DATE_RULE).validate(votes(meeting_date=day), today=TODAY)["meeting_date"] == day
    )


def test_a_date_after_today_is_refused_naming_the_field():
    assert refused(form_with(DATE_RULE), votes(meeting_date="2026-12-01")) == {
        "meeting_date": ["评议会日期（2026-12-01）不能晚于今天（2026-11-30）"]
    }


def test_today_is_what_the_caller_says_not_the_system_clock():
    form = form_with(DATE_RULE)
    assert form.validate(votes(meeting_date="2031-05-01"), today=date(2031, 5, 1))
    assert "meeting_date" in refused(
        form, votes(meeting_date="2026-05-01"), today=date(2026, 4, 30)
    )


def test_a_form_with_a_date_rule_needs_today():
    with pytest.raises(TodayMissing):
        form_with(DATE_RULE).validate(votes())


def test_an_invalid_date_gets_only_its_own_message():
    assert refused(form_with(DATE_RULE), votes(meeting_date="2026-13-01")) == {
        "meeting_date": ["日期无效"]
    }


# ---------------------------------------------------------------- sum_at_most


SUM_RULE = [{"kind": "sum_at_most", "fields": ["votes_for", "votes_against"], "limit": "attendees"}]


def test_votes_up_to_the_attendees_are_accepted():
    form = form_with(SUM_RULE)
    assert form.validate(votes(votes_for=6, votes_against=4), today=TODAY)["votes_for"] == 6
    assert form.validate(votes(votes_for=5, votes_against=2), today=TODAY)["votes_against"] == 2


def test_more_votes_than_attendees_are_refused_on_both_vote_fields():
    message = "赞成票数与反对票数之和（80）不能超过参会人数（10）"
    assert refused(form_with(SUM_RULE), votes(votes_for=30, votes_against=50)) == {
        "votes_for": [message],
        "votes_against": [message],
    }


def test_a_sum_limit_may_be_a_number():
    form = form_with(
        [{"kind": "sum_at_most", "fields": ["votes_for", "votes_against"], "limit": 9}]
    )
    assert refused(form, votes()) == {
        "votes_for": ["赞成票数与反对票数之和（10）不能超过9"],
        "votes_against": ["赞成票数与反对票数之和（10）不能超过9"],
    }


def test_a_sum_rule_is_skipped_while_a_vote_is_invalid():
    assert refused(form_with(SUM_RULE), votes(votes_for="many")) == {"votes_for": ["请输入整数"]}


# ---------------------------------------------------------------- implies


VOTE_RULE = [
    {"kind": "implies", "when": {"decision": "approve"}, "field": "votes_for", "op": ">",
     "than": "attendees", "times": 0.5}
]


def test_approval_with_a_majority_is_accepted():
    assert form_with(VOTE_RULE).validate(votes(votes_for=6), today=TODAY)["decision"] == "approve"


def test_approval_without_a_majority_is_refused_on_the_result():
    assert refused(form_with(VOTE_RULE), votes(votes_for=5, votes_against=5)) == {
        "decision": ["评议结论为“同意推荐”时，赞成票数（5）应大于参会人数（10）的一半"]
    }


def test_the_rule_does_not_bind_other_results():
    data = votes(votes_for=2, votes_against=8, decision="reject")
    assert form_with(VOTE_RULE).validate(data, today=TODAY)["decision"] == "reject"


def test_a_check_against_a_number_and_a_factor():
    form = form_with(
        [{"kind": "implies", "when": {"decision": ["approve"]}, "field": "votes_for", "op": ">=",
          "than": 3}]
    )
    assert refused(form, votes(votes_for=2)) == {
        "decision": ["评议结论为“同意推荐”时，赞成票数（2）应不小于3"]
    }
    form = form_with(
        [
            {
                "kind": "implies",
                "when": {"decision": "reject"},
                "field": "votes_against",
                "op": ">=",
                "than": "attendees",
                "times": 0.4,
            }
        ]
    )
    assert refused(form, votes(votes_against=3, decision="reject")) == {
        "decision": ["评议结论为“不予推荐”时，反对票数（3）应不小于参会人数（10）乘以0.4"]
    }


# ---------------------------------------------------------------- min_count


PEOPLE = [
    {"name": "investigators", "type": "string", "label": "调查人员", "required": True},
    {
        "name": "tags",
        "type": "multi_choice",
        "label": "标签",
        "options": [{"value": "a", "label": "甲"}, {"value": "b", "label": "乙"}],
    },
    {
        "name": "members",
        "type": "rows",
        "label": "调查人",
        "fields": [{"name": "name", "type": "string", "label": "姓名", "required": True}],
    },
]


def count_form():
    return form_with(
        [
            {"kind": "min_count", "field": "investigators", "count": 2},
            {"kind": "min_count", "field": "tags", "count": 2},
            {"kind": "min_count", "field": "members", "count": 2},
        ],
        PEOPLE,
    )


@pytest.mark.parametrize("names", ["张伟、刘芳", "张伟，刘芳", "张伟, 刘芳、王五"])
def test_two_names_or_more_are_accepted(names):
    assert count_form().validate({"investigators": names}, today=TODAY)["investigators"] == names


def test_counts_of_names_picks_and_rows_are_enforced():
    data = {"investigators": "张伟", "tags": ["a"], "members": [{"name": "张伟"}]}
    assert refused(count_form(), data) == {
        "investigators": ["调查人员至少需要填写2个（用顿号“、”分隔），现为1"],
        "tags": ["标签至少需要选择2项，现为1"],
        "members": ["调查人至少需要填写2行，现为1"],
    }


def test_enough_picks_and_rows_are_accepted():
    data = {
        "investigators": "张伟、刘芳",
        "tags": ["a", "b"],
        "members": [{"name": "甲"}, {"name": "乙"}],
    }
    assert count_form().validate(data, today=TODAY)["members"] == [{"name": "甲"}, {"name": "乙"}]


# ---------------------------------------------------------------- required_when


CHECKS = [
    {
        "name": name,
        "type": "choice",
        "label": label,
        "required": True,
        "options": [
            {"value": "consistent", "label": "一致"},
            {"value": "inconsistent", "label": "不一致"},
        ],
    }
    for name, label in (
        ("civil_affairs", "民政部门比对结果"),
        ("poverty_office", "扶贫部门比对结果"),
    )
] + [{"name": "notes", "type": "text", "label": "比对情况说明"}]


def note_form(key="when_any"):
    return form_with(
        [
            {
                "kind": "required_when",
                "field": "notes",
                key: {"civil_affairs": "inconsistent", "poverty_office": "inconsistent"},
            }
        ],
        CHECKS,
    )


def test_no_note_needed_when_all_agree():
    data = {"civil_affairs": "consistent", "poverty_office": "consistent"}
    assert note_form().validate(data, today=TODAY) == data


def test_a_note_is_needed_when_any_check_disagrees():
    data = {"civil_affairs": "consistent", "poverty_office": "inconsistent", "notes": "  "}
    assert refused(note_form(), data) == {
        "notes": ["扶贫部门比对结果为“不一致”时，必须填写比对情况说明"]
    }
    data["notes"] = "户籍信息已更正"
    assert note_form().validate(data, today=TODAY)["notes"] == "户籍信息已更正"


def test_when_means_all_conditions():
    one = {"civil_affairs": "consistent", "poverty_office": "inconsistent"}
    assert note_form("when").validate(one, today=TODAY) == one
    both = {"civil_affairs": "inconsistent", "poverty_office": "inconsistent"}
    assert refused(note_form("when"), both) == {
        "notes": ["民政部门比对结果为“不一致”，扶贫部门比对结果为“不一致”时，必须填写比对情况说明"]
    }


# ---------------------------------------------------------------- rules inside rows


def test_rules_of_a_rows_field_apply_to_each_row_with_dotted_paths():
    fields = [
        {
            "name": "visits",
            "type": "rows",
            "label": "走访记录",
            "fields": [
                {"name": "visited_on", "type": "date", "label": "走访日期", "required": True}
            ],
            "rules": [{"kind": "not_after_today", "field": "visited_on"}],
        }
    ]
    form = form_with([], fields)
    data = {"visits": [{"visited_on": "2026-11-01"}, {"visited_on": "2027-01-01"}]}
    assert refused(form, data) == {
        "visits.1.visited_on": ["走访日期（2027-01-01）不能晚于今天（2026-11-30）"]
    }


# ---------------------------------------------------------------- bad rules fail at load


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({"kind": "min_count"}, "bpmn/x/forms/t.yaml：表单的规则 rules 应为列表。"),
        (
            [{"kind": "no_such"}],
            "bpmn/x/forms/t.yaml：表单的第1条规则（no_such）的类型 kind 无效，应为以下之一："
            "not_after_today、sum_at_most、min_count、required_when、implies。",
        ),
        (
            [{"kind": "not_after_today", "field": "attendees"}],
            "bpmn/x/forms/t.yaml：表单的第1条规则（not_after_today）不能用于 integer 类型的字段"
            "“attendees”（只能用于date）。",
        ),
        (
            [{"kind": "not_after_today", "field": "meeting_day"}],
            "bpmn/x/forms/t.yaml：表单的第1条规则（not_after_today）引用了不存在的同级字段“meeting_day”。",
        ),
        (
            [{"kind": "sum_at_most", "fields": ["votes_for"], "limit": "attendees"}],
            "bpmn/x/forms/t.yaml：表单的第1条规则（sum_at_most）"
            "的 fields 应为至少两个字段名的列表。",
        ),
        (
            # Both of the rule's problems at once: a count below 1 and a field it cannot count.
            [{"kind": "min_count", "field": "votes_for", "count": 0}],
            [
                "bpmn/x/forms/t.yaml：表单的第1条规则（min_count）不能用于 integer 类型的字段"
                "“votes_for”（只能用于multi_choice、rows、string、text）。",
                "bpmn/x/forms/t.yaml：表单的第1条规则（min_count）的 count 应为正整数。",
            ],
        ),
        (
            [{"kind": "min_count", "field": "votes_for"}],
            [
                "bpmn/x/forms/t.yaml：表单的第1条规则（min_count）不能用于 integer 类型的字段"
                "“votes_for”（只能用于multi_choice、rows、string、text）。",
                "bpmn/x/forms/t.yaml：表单的第1条规则（min_count）缺少定义项 count。",
            ],
        ),
        (
            [{"kind": "implies", "when": {"decision": "approve"}, "field": "votes_for",
              "op": "__import__('os')", "than": 1}],
            "bpmn/x/forms/t.yaml：表单的第1条规则（implies）的 op“__import__('os')”无效，"
            "应为 >、>=、<、<=、==、!= 之一。",
        ),
        (
            [{"kind": "implies", "when": {"decision": "approve"}, "field": "votes_for", "op": ">",
              "than": 1, "check": "votes_for > 1"}],
            "bpmn/x/forms/t.yaml：表单的第1条规则（implies）包含未知的定义项“check”。",
        ),
        (
            [{"kind": "implies", "when": {"decision": "maybe"}, "field": "votes_for", "op": ">",
              "than": 1}],
            "bpmn/x/forms/t.yaml：表单的第1条规则（implies）的条件中字段“decision”的取值“maybe”无效："
            "请从选项中选择。",
        ),
        (
            [{"kind": "required_when", "field": "votes_for", "when": {"decision": "approve"}}],
            "bpmn/x/forms/t.yaml：表单的第1条规则（required_when）的字段“votes_for”已是必填项。",
        ),
        (
            [{"kind": "not_after_today", "field": "meeting_date", "message": "x"}],
            "bpmn/x/forms/t.yaml：表单的第1条规则（not_after_today）包含未知的定义项“message”。",
        ),
    ],
)
def test_a_bad_rule_is_a_definition_problem_naming_form_and_rule(rules, expected):
    assert problems(rules) == (expected if isinstance(expected, list) else [expected])


def test_a_rule_kind_that_is_not_text_is_reported_not_crashed():
    assert problems([{"kind": ["min_count"]}, "min_count"]) == [
        "bpmn/x/forms/t.yaml：表单的第1条规则的类型 kind 无效，应为以下之一："
        "not_after_today、sum_at_most、min_count、required_when、implies。",
        "bpmn/x/forms/t.yaml：表单的第2条规则应为键值映射，包含 kind 等定义项。",
    ]


def test_required_when_rule_needs_exactly_one_of_when_and_when_any():
    assert problems([{"kind": "required_when", "field": "notes"}], CHECKS) == [
        "bpmn/x/forms/t.yaml：表单的第1条规则（required_when）"
        "应设置且只设置 when 或 when_any 之一。"
    ]


# ---------------------------------------------------------------- the shipped forms


@pytest.fixture(scope="module")
def shared():
    return load_shared_forms()


def bundle_form(path):
    return load_form((ROOT / path).read_text(encoding="utf-8"), path)


def test_village_evaluation_refuses_the_issues_impossible_records(shared):
    form = shared["village_evaluation"]
    assert refused(form, votes(meeting_date="2026-12-15")) == {
        "meeting_date": ["评议会日期（2026-12-15）不能晚于今天（2026-11-30）"]
    }
    message = "赞成票数与反对票数之和（80）不能超过参会人数（10）"
    assert refused(form, votes(votes_for=30, votes_against=50)) == {
        "votes_for": [message],
        "votes_against": [message],
    }
    assert refused(form, votes(votes_for=4, votes_against=6)) == {
        "decision": ["评议结论为“同意推荐”时，赞成票数（4）应大于参会人数（10）的一半"]
    }
    assert form.validate(votes(), today=TODAY)["decision"] == "approve"


@pytest.mark.parametrize(
    "path",
    [
        "forms/township_review.yaml",
        "bpmn/fuxin/forms/fuxin_investigation.yaml",
        "bpmn/jiangmen/forms/jiangmen_investigation.yaml",
    ],
)
def test_investigation_forms_refuse_a_single_investigator(path):
    form = bundle_form(path)
    data = {
        "investigation_date": "2026-11-02",
        "investigators": "张伟",
        "home_visit": True,
        "per_capita_income": 1000,
        "economic_check": "consistent",
        "decision": "approve",
    }
    data = {k: v for k, v in data.items() if k in {f.name for f in form.fields}}
    assert refused(form, data) == {
        "investigators": ["调查人员至少需要填写2个（用顿号“、”分隔），现为1"]
    }
    assert form.validate({**data, "investigators": "张伟、刘芳"}, today=TODAY)


def test_crosscheck_refuses_inconsistent_without_a_note(shared):
    form = shared["district_crosscheck"]
    data = {
        "civil_affairs": "consistent",
        "poverty_office": "consistent",
        "disability_federation": "no_record",
        "human_resources": "inconsistent",
        "decision": "approve",
    }
    assert refused(form, data) == {"notes": ["人社部门比对结果为“不一致”时，必须填写比对情况说明"]}
    assert form.validate({**data, "notes": "社保缴费记录已核实"}, today=TODAY)["notes"]


# ---------------------------------------------------------------- exact arithmetic, odd YAML

MONEY_FIELDS = [
    {"name": name, "type": "money", "label": label, "required": True}
    for name, label in (("a", "甲"), ("b", "乙"), ("c", "合计"))
]


def test_money_sums_are_exact():
    """0.1 + 0.2 is 0.3 on paper; a float sum (0.30000000000000004) would refuse it."""
    form = form_with([{"kind": "sum_at_most", "fields": ["a", "b"], "limit": "c"}],
                     MONEY_FIELDS)
    assert form.validate({"a": 0.1, "b": 0.2, "c": 0.3}, today=TODAY)["c"] == 0.3
    assert refused(form, {"a": 0.1, "b": 0.21, "c": 0.3}) == {
        "a": ["甲与乙之和（0.31）不能超过合计（0.3）"],
        "b": ["甲与乙之和（0.31）不能超过合计（0.3）"]}


@pytest.mark.parametrize("rule, expected", [
    ({"op": [">"], "than": 1}, "的 op“['>']”无效，应为 >、>=、<、<=、==、!= 之一。"),
    ({"op": ">", "than": False}, "引用了不存在的同级字段“False”。"),
    ({"op": ">", "than": 1, "times": float("inf")}, "的 times 应为正数。"),
])
def test_odd_values_in_an_implies_rule_are_definition_problems(rule, expected):
    rules = [{"kind": "implies", "when": {"decision": "approve"}, "field": "votes_for", **rule}]
    assert problems(rules) == ["bpmn/x/forms/t.yaml：表单的第1条规则（implies）" + expected]
