import pytest
import yaml

from forms import FIELD_TYPES, Form, FormDefinitionError, FormInvalid, load_form


def definition(*fields, key="demo", title="示例") -> str:
    return yaml.safe_dump({"key": key, "title": title, "fields": list(fields)}, allow_unicode=True)


def problems_of(text: str, source: str = "<string>") -> list[str]:
    with pytest.raises(FormDefinitionError) as exc:
        load_form(text, source)
    assert exc.value.problems, "a definition error must list its problems"
    return exc.value.problems


def only_problem(text: str, source: str = "<string>") -> str:
    problems = problems_of(text, source)
    assert len(problems) == 1, problems
    return problems[0]


STRING = {"name": "note", "type": "string", "label": "备注"}
DECISION = {
    "name": "decision",
    "type": "choice",
    "label": "结论",
    "required": True,
    "options": [{"value": "approve", "label": "同意"}, {"value": "reject", "label": "不同意"}],
}


def test_good_definition_loads_into_an_immutable_form():
    form = load_form(definition(STRING, DECISION), "bundle/forms/demo.yaml")
    assert isinstance(form, Form)
    assert (form.key, form.title) == ("demo", "示例")
    assert [f.name for f in form.fields] == ["note", "decision"]
    with pytest.raises(AttributeError):
        form.key = "other"  # type: ignore[misc]


def test_bad_definition_lists_all_its_problems_naming_file_and_field():
    text = definition(
        {"name": "Decision", "type": "choice", "label": "结论"},
        {"name": "amount", "type": "moneyy", "label": "金额"},
        {"name": "amount", "type": "money", "label": "金额2", "required_when": {"nope": "x"}},
        {"name": "members", "type": "rows", "label": "成员"},
        {"name": "note", "type": "string", "label": "备注", "colour": "red"},
        key="wrong",
    )
    problems = problems_of(text, "bundles/linzi/forms/demo.yaml")
    assert all(p.startswith("bundles/linzi/forms/demo.yaml：") for p in problems)
    joined = "\n".join(problems)
    expectations = [
        "“wrong”与文件名“demo”不一致",
        "第1个字段“Decision”的名称无效",
        "第1个字段“Decision”是选择类型，必须提供非空的选项列表 options",
        "字段“amount”的类型“moneyy”无效",
        "字段“amount”与前面的字段重名",
        "字段“amount”的 required_when 引用了不存在的同级字段“nope”",
        "字段“members”是 rows 类型，必须提供非空的子字段列表 fields",
        "字段“note”包含未知的定义项“colour”",
    ]
    for expected in expectations:
        assert expected in joined, expected
    assert len(problems) == len(expectations)


@pytest.mark.parametrize(
    ("field", "fragment"),
    [
        ({"name": "x", "type": "date"}, "缺少标签 label"),
        ({"name": "x", "label": "X"}, "缺少类型 type"),
        ({"type": "date", "label": "X"}, "缺少名称 name"),
        ({"name": "class", "type": "date", "label": "X"}, "不能是 Python 关键字"),
        ({"name": "x-y", "type": "date", "label": "X"}, "名称无效"),
        ({"name": "x", "type": "date", "label": "X", "required": "yes please"}, "required 应为"),
        ({"name": "x", "type": "string", "label": "X", "options": []}, "只有 choice/multi_choice"),
        ({"name": "x", "type": "choice", "label": "X", "options": []}, "必须提供非空的选项列表"),
        (
            {"name": "x", "type": "choice", "label": "X", "options": [{"value": 1, "label": "一"}]},
            "请加引号",
        ),
        (
            {"name": "x", "type": "choice", "label": "X", "options": [{"value": "a"}]},
            "第1个选项缺少标签 label",
        ),
        ({"name": "x", "type": "string", "label": "X", "min": 1}, "只有 integer/number/money"),
        ({"name": "x", "type": "integer", "label": "X", "min": 5, "max": 1}, "min 不能大于 max"),
        ({"name": "x", "type": "money", "label": "X", "max": 1.234}, "最多保留两位小数"),
        ({"name": "x", "type": "money", "label": "X", "max": 1e308}, "max 超出范围"),
        ({"name": "x", "type": "integer", "label": "X", "max_length": 3}, "只有 string/text"),
        ({"name": "x", "type": "string", "label": "X", "max_length": 0}, "max_length 应为正整数"),
        ({"name": "x", "type": "string", "label": "X", "fields": [STRING]}, "只有 rows 类型"),
        (
            {
                "name": "x",
                "type": "rows",
                "label": "X",
                "fields": [STRING],
                "min_rows": 3,
                "max_rows": 2,
            },
            "min_rows（3）不能大于 max_rows（2）",
        ),
        ({"name": "x", "type": "rows", "label": "X", "fields": []}, "必须提供非空的子字段列表"),
        (
            {"name": "x", "type": "date", "label": "X", "default": "2024-02-30"},
            "默认值“2024-02-30”无效",
        ),
        (
            {"name": "x", "type": "date", "label": "X", "required": True, "default": "2024-01-01"},
            "必填项，不能设置默认值",
        ),
        (
            {"name": "x", "type": "date", "label": "X", "required_when": {"x": "a"}},
            "不能引用字段自身",
        ),
        ({"name": "x", "type": "date", "label": "X", "required_when": {}}, "required_when 应为"),
        (
            {"name": "x", "type": "date", "label": "X", "required_when": {"decision": "maybe"}},
            "“decision”的取值“maybe”无效",
        ),
        (
            {
                "name": "x",
                "type": "date",
                "label": "X",
                "required": True,
                "required_when": {"decision": "approve"},
            },
            "不能同时设置 required 和 required_when",
        ),
        ("just a string", "应为键值映射"),
    ],
)
def test_each_kind_of_definition_mistake_is_explained(field, fragment):
    problems = problems_of(definition(field, DECISION))
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("key: a\ntitle: [\n", "YAML 语法错误（第"),
        ("key: demo\nkey: demo\n", "第2行的键“key”重复出现"),
        ("", "文件内容为空"),
        ("- a\n- b\n", "顶层应为键值映射"),
        (definition(STRING, key="Demo Form"), "表单标识 key“Demo Form”无效"),
        (definition(STRING, title=""), "缺少表单标题 title"),
        ("key: demo\ntitle: 示例\nfields: []\n", "缺少字段列表 fields"),
        (definition(STRING) + "extra: 1\n", "未知的顶层定义项“extra”"),
    ],
)
def test_file_level_mistakes_are_explained(text, fragment):
    assert fragment in only_problem(text, "demo.yaml")


def test_key_must_match_file_stem_only_when_source_is_a_file():
    text = definition(STRING, key="something_else")
    assert load_form(text).key == "something_else"
    assert "与文件名“demo”不一致" in only_problem(text, "forms/demo.yml")


def test_nested_field_problems_name_the_dotted_path():
    rows = {
        "name": "members",
        "type": "rows",
        "label": "成员",
        "fields": [{"name": "id_number", "type": "idcard", "label": "身份证"}],
    }
    assert "字段“members.id_number”的类型“idcard”无效" in only_problem(definition(rows))


def test_required_when_may_only_name_a_sibling_in_the_same_row():
    rows = {
        "name": "members",
        "type": "rows",
        "label": "成员",
        "fields": [
            {
                "name": "name",
                "type": "string",
                "label": "姓名",
                "required_when": {"decision": "approve"},
            }
        ],
    }
    problem = only_problem(definition(rows, DECISION))
    assert "字段“members.name”的 required_when 引用了不存在的同级字段“decision”" in problem


def test_every_allowed_type_can_be_declared():
    fields = []
    for ftype in FIELD_TYPES:
        field = {"name": f"f_{ftype}", "type": ftype, "label": ftype}
        if ftype in ("choice", "multi_choice"):
            field["options"] = [{"value": "a", "label": "甲"}]
        if ftype == "rows":
            field["fields"] = [STRING]
        fields.append(field)
    form = load_form(definition(*fields))
    assert [f.type for f in form.fields] == list(FIELD_TYPES)
    assert form.validate({}) == {}


def test_yaml_anchors_can_share_option_lists():
    text = """
key: demo
title: 示例
fields:
  - name: a
    type: choice
    label: 甲
    options: &yes_no [{value: 'yes', label: 是}, {value: 'no', label: 否}]
  - {name: b, type: choice, label: 乙, options: *yes_no}
"""
    assert load_form(text).validate({"a": "yes", "b": "no"}) == {"a": "yes", "b": "no"}


def test_self_referencing_yaml_is_refused_not_recursed_forever():
    text = """
key: demo
title: 示例
fields:
  - &loop {name: r, type: rows, label: 循环, fields: [*loop]}
"""
    assert "YAML 语法错误" in only_problem(text)


def nested_rows(levels: int) -> dict:
    field: dict = STRING
    for level in range(levels, 0, -1):
        field = {
            "name": f"level{level}",
            "type": "rows",
            "label": f"第{level}层",
            "fields": [field],
        }
    return field


def test_rows_may_nest_three_levels_but_not_four():
    form = load_form(definition(nested_rows(3)))
    data = {"level1": [{"level2": [{"level3": [{"note": "x"}, {"bad": 1}]}]}]}
    with pytest.raises(FormInvalid) as exc:
        form.validate(data)
    assert exc.value.fields == {"level1.0.level2.0.level3.1.bad": ["未知字段"]}
    problem = only_problem(definition(nested_rows(4)))
    assert "字段“level1.level2.level3.level4”的 rows 嵌套超过3层" in problem


def test_alias_fan_out_is_capped():
    lines = ["key: demo", "title: 示例", "leaf: &leaf {name: a, type: string, label: 甲}"]
    text = "\n".join(lines) + "\nfields: [" + ", ".join(["*leaf"] * 600) + "]\n"
    problems = problems_of(text)
    assert any("字段总数超过500个" in p for p in problems)
    assert sum("重名" in p for p in problems) == 499


def test_non_text_source_is_a_definition_error():
    assert problems_of(b"key: demo")  # type: ignore[arg-type]


def test_an_option_of_another_type_is_refused_by_name_and_a_typo_as_unknown():
    field = {"name": "x", "type": "date", "label": "X", "min": 1, "max_rows": 2, "requried": True}
    assert problems_of(definition(field)) == [  # in the order of the file (dumped sorted)
        "<string>：字段“x”是 date 类型，只有 rows 类型可以设置 max_rows。",
        "<string>：字段“x”是 date 类型，只有 integer/number/money 类型可以设置 min。",
        "<string>：字段“x”包含未知的定义项“requried”。",
    ]


def test_options_are_named_by_position():
    options = [
        {"value": "a", "label": "甲"},
        {"value": " b", "label": "乙", "color": "red"},
        {"value": "a", "label": "丙"},
        "c",
    ]
    field = {"name": "pick", "type": "choice", "label": "选择", "options": options}
    assert sorted(problems_of(definition(field))) == sorted([
        "<string>：字段“pick”的第2个选项包含未知的定义项“color”（只允许 value、label、label_en）。",
        "<string>：字段“pick”的第2个选项值“ b”首尾不能有空格。",
        "<string>：字段“pick”的第3个选项值“a”重复。",
        "<string>：字段“pick”的第4个选项应为 {value: …, label: …} 形式。",
    ])


def test_a_field_with_a_broken_name_is_named_by_position_in_its_rows_field():
    rows = {
        "name": "members",
        "type": "rows",
        "label": "成员",
        "fields": [STRING, {"name": "Bad Name", "type": "string"}],
    }
    assert problems_of(definition(rows)) == [
        "<string>：字段“members”的第2个子字段“Bad Name”的名称无效，应为以小写字母开头的 snake_case"
        " 标识符（不超过64个字符，且不能是 Python 关键字）。",
        "<string>：字段“members”的第2个子字段“Bad Name”缺少标签 label（应为非空文字）。",
    ]


def test_rules_that_are_not_a_list_are_reported_with_the_fields_problems():
    text = definition({"name": "x", "type": "date"}) + "rules: {kind: not_after_today}\n"
    assert problems_of(text, "forms/demo.yaml") == [
        "forms/demo.yaml：字段“x”缺少标签 label（应为非空文字）。",
        "forms/demo.yaml：表单的规则 rules 应为列表。",
    ]


def test_prefill_names_a_case_value_on_a_top_level_field():
    amount = {"name": "amount", "type": "money", "label": "核定金额", "prefill": "proposed_amount"}
    form = load_form(definition(amount, DECISION))
    assert form.fields[0].prefill == "proposed_amount"
    assert form.describe()["fields"][0]["prefill"] == "proposed_amount"
    assert "prefill" not in form.describe()["fields"][1]


@pytest.mark.parametrize("field", [
    {"name": "amount", "type": "money", "label": "金额", "prefill": "proposed amount"},
    {"name": "amount", "type": "money", "label": "金额", "prefill": 12},
    {"name": "scan", "type": "file", "label": "扫描件", "prefill": "scan_id"},
    {"name": "members", "type": "rows", "label": "成员", "prefill": "members",
     "fields": [{"name": "n", "type": "string", "label": "姓名"}]},
    {"name": "members", "type": "rows", "label": "成员",
     "fields": [{"name": "n", "type": "string", "label": "姓名", "prefill": "head_name"}]},
])
def test_prefill_is_refused_where_it_cannot_work(field):
    assert "的 prefill 应为案件数据中的一个变量名" in only_problem(definition(field, DECISION))
