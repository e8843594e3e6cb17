import copy
import json

import pytest
from marshmallow import Schema

import forms.form
from forms import FormInvalid, load_shared_forms
from tests.forms.helpers import form_from
from tests.forms.samples import SAMPLE_TODAY, valid_application, valid_step_data


@pytest.fixture(scope="module")
def shared():
    return load_shared_forms()


@pytest.fixture(scope="module")
def application(shared):
    return shared["application"]


def invalid_fields(form, data) -> dict[str, list[str]]:
    with pytest.raises(FormInvalid) as exc:
        form.validate(data, today=SAMPLE_TODAY)
    return exc.value.fields


def bad_check_char(number: str) -> str:
    return number[:17] + next(c for c in "0123456789X" if c != number[17])


# ---------------------------------------------------------------- required


def test_missing_required_field_is_reported(application):
    data = valid_application()
    del data["head_name"]
    assert invalid_fields(application, data) == {"head_name": ["此项为必填项"]}


@pytest.mark.parametrize("blank", ["", "   ", "\u3000", None])
def test_blank_or_null_counts_as_missing_for_required(application, blank):
    assert invalid_fields(application, valid_application(head_name=blank)) == {
        "head_name": ["此项为必填项"]
    }


def test_blank_optional_field_is_left_out_of_the_output(application):
    clean = application.validate(valid_application(address="  ", hardship_description=None),
                                 today=SAMPLE_TODAY)
    assert "address" not in clean
    assert "hardship_description" not in clean


def test_absent_optional_fields_stay_absent(shared):
    clean = shared["village_evaluation"].validate(
        {
            "meeting_date": "2024-03-05",
            "attendees": 5,
            "votes_for": 5,
            "votes_against": 0,
            "decision": "approve",
        },
        today=SAMPLE_TODAY,
    )
    assert set(clean) == {"meeting_date", "attendees", "votes_for", "votes_against", "decision"}


def test_default_fills_an_absent_optional_field():
    form = form_from(
        [
            {"name": "home_visit", "type": "boolean", "label": "是否入户", "default": True},
            {"name": "count", "type": "integer", "label": "次数", "default": 1},
            {"name": "note", "type": "string", "label": "备注"},
        ]
    )
    assert form.validate({}) == {"home_visit": True, "count": 1}
    assert form.validate({"home_visit": False, "count": ""}) == {"home_visit": False, "count": 1}


# ---------------------------------------------------------------- required_when


@pytest.mark.parametrize("decision", ["return", "reject"])
def test_reason_required_when_returning_or_rejecting(shared, decision):
    data = valid_step_data("township_review", decision)
    del data["reason"]
    assert invalid_fields(shared["township_review"], data) == {"reason": ["此项为必填项"]}


def test_reason_not_required_when_approving(shared):
    clean = shared["township_review"].validate(
        valid_step_data("township_review", "approve"), today=SAMPLE_TODAY
    )
    assert "reason" not in clean


def test_amount_required_only_when_district_approves(shared):
    form = shared["district_approval"]
    assert invalid_fields(form, {"decision": "approve"}) == {"amount": ["此项为必填项"]}
    assert invalid_fields(form, {"decision": "approve", "amount": " "}) == {
        "amount": ["此项为必填项"]
    }
    assert form.validate({"decision": "reject", "reason": "收入超标"}) == {
        "decision": "reject",
        "category": "hardship",  # 临淄: every new case is a 困难家庭
        "reason": "收入超标",
    }


def test_invalid_conditional_value_gets_its_own_message_not_required(shared):
    fields = invalid_fields(shared["district_approval"], {"decision": "approve", "amount": -5})
    assert fields == {"amount": ["金额不能为负数"]}


def test_required_when_works_inside_rows():
    form = form_from(
        [
            {
                "name": "members",
                "type": "rows",
                "label": "成员",
                "fields": [
                    {
                        "name": "disabled",
                        "type": "boolean",
                        "label": "是否残疾",
                        "required": True,
                    },
                    {
                        "name": "grade",
                        "type": "choice",
                        "label": "残疾等级",
                        "options": [{"value": "1", "label": "一级"}],
                        "required_when": {"disabled": True},
                    },
                ],
            }
        ]
    )
    data = {"members": [{"disabled": False}, {"disabled": True}, {"disabled": True, "grade": "1"}]}
    assert invalid_fields(form, data) == {"members.1.grade": ["此项为必填项"]}


# ---------------------------------------------------------------- unknown keys


def test_unknown_top_level_key_is_rejected(application):
    assert invalid_fields(application, valid_application(is_admin=True)) == {
        "is_admin": ["未知字段"]
    }


def test_unknown_key_in_a_row_is_rejected(application):
    data = valid_application()
    data["members"][2]["salary"] = 100
    assert invalid_fields(application, data) == {"members.2.salary": ["未知字段"]}


def test_unknown_key_with_blank_value_is_still_rejected(application):
    assert invalid_fields(application, valid_application(nickname="")) == {"nickname": ["未知字段"]}


# ---------------------------------------------------------------- rows


def test_row_errors_use_dotted_zero_based_paths(application):
    data = valid_application()
    data["members"][1]["id_number"] = bad_check_char(data["members"][1]["id_number"])
    data["incomes"][0]["amount"] = -3
    assert invalid_fields(application, data) == {
        "members.1.id_number": ["身份证号码校验位错误"],
        "incomes.0.amount": ["金额不能为负数"],
    }


def test_members_need_at_least_one_row(application):
    assert invalid_fields(application, valid_application(members=[])) == {
        "members": ["至少需要填写1行"]
    }
    data = valid_application()
    del data["members"]
    assert invalid_fields(application, data) == {"members": ["此项为必填项"]}


def test_rows_must_be_a_list_of_objects(application):
    assert invalid_fields(application, valid_application(assets={"kind": "house"})) == {
        "assets": ["应为多行数据的列表"]
    }
    assert invalid_fields(application, valid_application(assets=["house"])) == {
        "assets.0": ["每行数据格式无效，应为键值对象"]
    }


def test_too_many_rows_are_rejected_before_loading_them(application):
    row = valid_application()["members"][0]
    assert invalid_fields(application, valid_application(members=[row] * 31)) == {
        "members": ["最多只能填写30行"]
    }


def test_optional_rows_may_be_empty_or_absent(application):
    data = valid_application(incomes=[])
    del data["assets"]
    clean = application.validate(data, today=SAMPLE_TODAY)
    assert clean["incomes"] == []
    assert "assets" not in clean


# ---------------------------------------------------------------- whole-form behaviour


def test_failed_validation_reports_every_bad_field_at_once(application):
    data = valid_application(head_phone="12345", hardship_cause="laziness", extra="x")
    del data["head_name"]
    data["members"][0]["birth_date"] = "1968/03/15"
    data["members"][2]["id_number"] = bad_check_char(data["members"][2]["id_number"])
    data["incomes"][1]["amount"] = "12.345"
    data["assets"][0]["kind"] = "yacht"
    assert invalid_fields(application, data) == {
        "head_name": ["此项为必填项"],
        "head_phone": ["请输入有效的手机号码或固定电话（如 13800000000、0533-1234567）"],
        "members.0.birth_date": ["日期格式应为 YYYY-MM-DD，如 2024-03-01"],
        "members.2.id_number": ["身份证号码校验位错误"],
        "incomes.1.amount": ["金额最多保留两位小数"],
        "assets.0.kind": ["请从选项中选择"],
        "hardship_cause": ["请从选项中选择"],
        "extra": ["未知字段"],
    }


def test_form_invalid_message_lists_the_fields(application):
    with pytest.raises(FormInvalid) as exc:
        application.validate(valid_application(head_name=""), today=SAMPLE_TODAY)
    assert "head_name：此项为必填项" in str(exc.value)


@pytest.mark.parametrize("data", [None, [], "text", 42])
def test_non_object_submission_is_rejected_as_a_whole(application, data):
    assert invalid_fields(application, data) == {"_schema": ["表单数据格式无效，应为键值对象"]}


def test_clean_application_is_plain_json_data(application):
    clean = application.validate(valid_application(), today=SAMPLE_TODAY)
    assert json.loads(json.dumps(clean, ensure_ascii=False, allow_nan=False)) == clean
    assert clean["members"][0]["birth_date"] == "1968-03-15"
    assert clean["assets"][0]["value"] == 50000.0


@pytest.mark.parametrize(
    "form_key",
    [
        "village_evaluation",
        "township_review",
        "district_crosscheck",
        "third_party_verification",
        "district_approval",
    ],
)
@pytest.mark.parametrize("decision", ["approve", "return", "reject"])
def test_clean_step_data_is_plain_json_usable_in_gateways(shared, form_key, decision):
    clean = shared[form_key].validate(valid_step_data(form_key, decision), today=SAMPLE_TODAY)
    assert json.loads(json.dumps(clean, allow_nan=False)) == clean
    assert clean["decision"] == decision


def test_gateway_style_comparisons_work_on_clean_values(shared):
    clean = shared["village_evaluation"].validate(
        dict(valid_step_data("village_evaluation"), votes_for="8", votes_against="1"),
        today=SAMPLE_TODAY,
    )
    assert clean["votes_for"] > clean["votes_against"]
    assert eval('decision == "approve" and votes_for > votes_against', {}, clean)


def test_validate_does_not_modify_its_input(application):
    data = valid_application(head_name="  王建国  ")
    before = copy.deepcopy(data)
    application.validate(data, today=SAMPLE_TODAY)
    assert data == before


def test_schema_is_built_once_per_form(application):
    assert application.schema is application.schema


@pytest.mark.parametrize("form_key", ["township_review", "application"])
def test_the_hot_path_builds_no_schema_after_the_first_validation(shared, application,
                                                                  form_key, monkeypatch):
    """Building marshmallow schemas is the costly part of validation; each completion must
    reuse the form's one schema (nested row schemas included), not build them again."""
    form = application if form_key == "application" else shared[form_key]
    data = valid_application() if form_key == "application" else \
        valid_step_data(form_key, "reject")
    first = form.validate(data, today=SAMPLE_TODAY)
    built: list[str] = []
    real_init = Schema.__init__

    def counting_init(self, *args, **kwargs):
        built.append(type(self).__name__)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Schema, "__init__", counting_init)
    monkeypatch.setattr(forms.form, "build_schema_class",
                        lambda *a, **kw: built.append("class") or pytest.fail("schema rebuilt"))
    for _ in range(50):
        assert form.validate(data, today=SAMPLE_TODAY) == first
    assert built == []
