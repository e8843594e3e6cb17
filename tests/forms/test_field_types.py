import math

import pytest

from forms import FormDefinitionError, FormInvalid
from tests.forms.helpers import clean, errors, form_from, single

# ---------------------------------------------------------------- phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("199 0533 1234", "19905331234"),
        (" 15605330001 ", "15605330001"),
        ("0533-1234567", "0533-1234567"),
        ("05331234567", "05331234567"),
        ("010-12345678", "010-12345678"),
        ("0533 - 1234567", "0533-1234567"),
    ],
)
def test_mobile_and_landline_numbers_are_accepted_with_spaces_removed(raw, expected):
    assert clean("phone", raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["12800138000", "1380013800", "138001380001", "0533-12345", "5331234567", "abc", 13800138000],
)
def test_invalid_phone_numbers_are_rejected(raw):
    assert errors("phone", raw)[0].startswith("请输入有效的手机号码或固定电话")


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1200, 1200.0),
        (1200.5, 1200.5),
        ("1200.50", 1200.5),
        (" 88 ", 88.0),
        ("0.01", 0.01),
        (0, 0.0),
        ("3.10", 3.1),
        ("1.000", 1.0),
    ],
)
def test_money_becomes_a_float_rounded_to_fen(raw, expected):
    value = clean("money", raw)
    assert type(value) is float
    assert value == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (-1, "金额不能为负数"),
        ("-0.01", "金额不能为负数"),
        (12.345, "金额最多保留两位小数"),
        ("0.001", "金额最多保留两位小数"),
        (0.1 + 0.2, "金额最多保留两位小数"),
        (math.nan, "请输入金额（元），如 1200.50"),
        (math.inf, "请输入金额（元），如 1200.50"),
        ("nan", "请输入金额（元），如 1200.50"),
        ("Infinity", "请输入金额（元），如 1200.50"),
        (True, "请输入金额（元），如 1200.50"),
        ("1,200", "请输入金额（元），如 1200.50"),
        ("¥12", "请输入金额（元），如 1200.50"),
        ([12], "请输入金额（元），如 1200.50"),
        (10**15, "金额超出范围"),
        (1e308, "金额超出范围"),
        (10**400, "金额超出范围"),
        (12345678901234.5678, "金额超出范围"),
    ],
)
def test_bad_money_is_rejected_with_a_clear_message(raw, message):
    assert errors("money", raw) == [message]


def test_money_negative_allowed_only_down_to_declared_min():
    assert clean("money", "-50.25", min=-100) == -50.25
    assert errors("money", -100.01, min=-100) == ["金额不能小于-100元"]


def test_money_max_and_positive_min_are_enforced():
    assert errors("money", 5000.01, max=5000) == ["金额不能大于5000元"]
    assert errors("money", 9.99, min=10) == ["金额不能小于10元"]
    assert clean("money", 5000, max=5000) == 5000.0


# ---------------------------------------------------------------- integer / number


@pytest.mark.parametrize(("raw", "expected"), [(12, 12), ("12", 12), (" -3 ", -3), (7.0, 7)])
def test_integer_accepts_whole_numbers_and_numeric_strings(raw, expected):
    value = clean("integer", raw)
    assert type(value) is int
    assert value == expected


@pytest.mark.parametrize("raw", [1.5, "1.5", True, False, "12a", [1], math.nan, "1e3", 10**16])
def test_integer_rejects_fractions_booleans_and_text(raw):
    assert errors("integer", raw) in (["请输入整数"], ["数值超出范围"])


def test_integer_min_and_max_are_enforced():
    assert errors("integer", 0, min=1) == ["不能小于1"]
    assert errors("integer", 11, max=10) == ["不能大于10"]
    assert clean("integer", 1, min=1, max=10) == 1


@pytest.mark.parametrize(("raw", "expected"), [(3, 3.0), (2.5, 2.5), ("0.75", 0.75), ("-.5", -0.5)])
def test_number_becomes_float(raw, expected):
    value = clean("number", raw)
    assert type(value) is float
    assert value == expected


@pytest.mark.parametrize("raw", [True, math.nan, -math.inf, "nan", "1e400", "abc"])
def test_number_rejects_booleans_and_non_finite_values(raw):
    assert errors("number", raw) == ["请输入数字"]


# ---------------------------------------------------------------- date / boolean


def test_date_accepts_iso_format_and_returns_the_same_string():
    assert clean("date", "2024-02-29") == "2024-02-29"


@pytest.mark.parametrize(
    "raw", ["2024/03/01", "20240301", "2024-3-1", "2024-W01-1", "01-03-2024", 20240301]
)
def test_date_in_another_format_is_rejected(raw):
    assert errors("date", raw) == ["日期格式应为 YYYY-MM-DD，如 2024-03-01"]


@pytest.mark.parametrize("raw", ["2023-02-29", "2024-13-01", "2024-04-31", "0000-01-01"])
def test_impossible_dates_are_rejected(raw):
    assert errors("date", raw) == ["日期无效"]


@pytest.mark.parametrize(
    ("raw", "expected"), [(True, True), (False, False), ("true", True), ("False", False)]
)
def test_boolean_accepts_true_and_false(raw, expected):
    assert clean("boolean", raw) is expected


@pytest.mark.parametrize("raw", [1, 0, "yes", "是", [True]])
def test_boolean_rejects_other_values(raw):
    assert errors("boolean", raw) == ["请选择“是”或“否”"]


# ---------------------------------------------------------------- text / file


def test_strings_are_stripped():
    assert clean("string", "  王建国 ") == "王建国"
    assert clean("text", "\n第一行\n第二行\n") == "第一行\n第二行"


def test_string_and_text_default_max_lengths():
    assert clean("string", "字" * 100) == "字" * 100
    assert errors("string", "字" * 101) == ["不能超过100个字"]
    assert clean("text", "字" * 2000) == "字" * 2000
    assert errors("text", "字" * 2001) == ["不能超过2000个字"]
    assert errors("string", "abcdef", max_length=5) == ["不能超过5个字"]


def test_string_rejects_non_text():
    assert errors("string", 12) == ["请输入文字"]


def test_file_reference_is_an_opaque_id_of_at_most_64_characters():
    assert clean("file", "att-2024-0001") == "att-2024-0001"
    assert clean("file", "x" * 64) == "x" * 64
    assert errors("file", "x" * 65) == ["附件编号无效"]
    assert errors("file", "has space") == ["附件编号无效"]
    assert errors("file", 42) == ["附件编号无效"]


# ---------------------------------------------------------------- choice / multi_choice

OPTIONS = [
    {"value": "a", "label": "甲"},
    {"value": "b", "label": "乙"},
    {"value": "1", "label": "一"},
]


def test_choice_accepts_option_values_only():
    assert clean("choice", "a", options=OPTIONS) == "a"
    assert clean("choice", 1, options=OPTIONS) == "1"
    assert errors("choice", "甲", options=OPTIONS) == ["请从选项中选择"]
    assert errors("choice", "c", options=OPTIONS) == ["请从选项中选择"]
    assert errors("choice", True, options=OPTIONS) == ["请从选项中选择"]


def test_multi_choice_is_a_list_of_distinct_option_values():
    assert clean("multi_choice", ["b", "a"], options=OPTIONS) == ["b", "a"]
    assert clean("multi_choice", [], options=OPTIONS) == []
    assert errors("multi_choice", ["a", "a"], options=OPTIONS) == ["选项不能重复"]
    assert errors("multi_choice", ["a", "z"], options=OPTIONS) == ["请从选项中选择"]
    assert errors("multi_choice", "a", options=OPTIONS) == ["请以列表形式提交选项"]


def test_required_multi_choice_needs_at_least_one_value():
    form = single("multi_choice", options=OPTIONS, required=True)
    assert form.validate({"v": ["a"]}) == {"v": ["a"]}
    with pytest.raises(FormInvalid) as exc:
        form.validate({"v": []})
    assert exc.value.fields == {"v": ["此项为必填项"]}


def test_a_bank_account_is_digits_however_it_was_typed():
    form = single("string", format="bank_account")
    for typed in ("6217 0028-7001 2345", "６２１７００２８７００１２３４５", "6217002870012345"):
        assert form.validate({"v": typed}) == {"v": "6217002870012345"}, typed
    for bad in ("请转给村会计 abc", "+8613800000000", "1234567", "²²²²²²²²²", "1" * 33):
        assert errors("string", bad, format="bank_account") == ["银行账号应为8至32位数字"], bad


def test_only_known_formats_and_only_on_a_string():
    for spec, words in (({"format": "iban"}, "format 应为以下之一：bank_account"),
                        ({"format": ["bank_account"]}, "format 应为以下之一"),
                        ({"format": "bank_account", "type": "text"},
                         "只有 string 类型可以设置 format")):
        with pytest.raises(FormDefinitionError) as err:
            form_from([{"name": "v", "type": "string", "label": "值", **spec}])
        assert any(words in p for p in err.value.problems), err.value.problems
