import json
from pathlib import Path

import pytest

import forms
from forms import FIELD_TYPES, load_form, shared_form_sources
from tests.forms.samples import SAMPLE_TODAY, STEP_FORM_KEYS, valid_application, valid_step_data

FORMS_DIR = Path(forms.__file__).parent
SHARED_KEYS = [
    "application",
    "village_evaluation",
    "township_review",
    "district_crosscheck",
    "third_party_verification",
    "district_approval",
    "refusal_notice",
    "standard_review",
    "standard_publication",
    "exit_proposal",
]
DESCRIBE_KEYS = {"name", "type", "required", "label", "options", "fields"}
OPTIONAL_DESCRIBE_KEYS = {"help", "help_en", "label_en", "min", "max", "required_when",
                          "min_rows", "max_rows",
                          "prefill", "format"}


@pytest.fixture(scope="module")
def shared():
    return forms.load_shared_forms()


def test_shared_sources_are_exactly_the_yaml_files_in_the_package():
    sources = shared_form_sources()
    assert sorted(sources) == sorted(SHARED_KEYS)
    for key, text in sources.items():
        assert text == (FORMS_DIR / f"{key}.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("key", SHARED_KEYS)
def test_every_shared_form_loads_with_a_matching_key(key):
    form = load_form(shared_form_sources()[key], source=f"forms/{key}.yaml")
    assert form.key == key
    assert form.title


def walk(fields):
    for field in fields:
        yield field
        if field["fields"] is not None:
            yield from walk(field["fields"])


@pytest.mark.parametrize("key", SHARED_KEYS)
def test_describe_shape(shared, key):
    described = shared[key].describe()
    assert set(described) == {"key", "title", "title_en", "fields"}
    assert described["key"] == key
    json.dumps(described, allow_nan=False)
    for field in walk(described["fields"]):
        assert DESCRIBE_KEYS <= set(field) <= DESCRIBE_KEYS | OPTIONAL_DESCRIBE_KEYS, field
        assert field["type"] in FIELD_TYPES
        assert isinstance(field["required"], bool)
        assert field["label"] and isinstance(field["label"], str)
        if field["type"] in ("choice", "multi_choice"):
            assert field["options"] and all(set(o) == {"value", "label", "label_en"}
                                        for o in field["options"])
        else:
            assert field["options"] is None
        if field["type"] == "rows":
            assert field["fields"]
        else:
            assert field["fields"] is None


@pytest.mark.parametrize("key", STEP_FORM_KEYS)
def test_step_forms_have_approve_return_reject_decisions(shared, key):
    decision = next(f for f in shared[key].describe()["fields"] if f["name"] == "decision")
    assert decision["type"] == "choice"
    assert decision["required"] is True
    assert [o["value"] for o in decision["options"]] == ["approve", "return", "reject"]


@pytest.mark.parametrize(
    "key",
    ["township_review", "district_crosscheck", "third_party_verification", "district_approval"],
)
def test_reason_is_required_when_returning_or_rejecting(shared, key):
    reason = next(f for f in shared[key].describe()["fields"] if f["name"] == "reason")
    assert reason["required"] is False
    assert reason["required_when"] == {"decision": ["return", "reject"]}


def test_district_approval_amount_is_required_when_approved(shared):
    amount = next(
        f for f in shared["district_approval"].describe()["fields"] if f["name"] == "amount"
    )
    assert amount["type"] == "money"
    assert amount["required_when"] == {"decision": ["approve"]}
    assert amount["min"] == 0


def test_application_describes_members_as_required_rows(shared):
    members = next(f for f in shared["application"].describe()["fields"] if f["name"] == "members")
    assert members["type"] == "rows"
    assert members["required"] is True
    assert members["min_rows"] == 1
    names = [f["name"] for f in members["fields"]]
    assert names[:5] == ["relation", "name", "id_number", "birth_date", "labour_capacity"]


def test_all_labels_are_chinese(shared):
    for form in shared.values():
        for field in walk(form.describe()["fields"]):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in field["label"]), field["label"]


def test_sample_application_is_valid(shared):
    clean = shared["application"].validate(valid_application(), today=SAMPLE_TODAY)
    assert len(clean["members"]) == 3
    assert forms.is_valid_id_number(clean["head_id_number"])


def test_sample_application_overrides_replace_top_level_keys(shared):
    data = valid_application(hardship_cause="disaster")
    assert shared["application"].validate(data, today=SAMPLE_TODAY)["hardship_cause"] \
        == "disaster"
    assert valid_application()["hardship_cause"] == "illness"


@pytest.mark.parametrize("key", STEP_FORM_KEYS)
@pytest.mark.parametrize("decision", ["approve", "return", "reject"])
def test_sample_step_data_is_valid(shared, key, decision):
    assert (
        shared[key].validate(valid_step_data(key, decision), today=SAMPLE_TODAY)["decision"]
        == decision
    )


def test_choice_label_for_display(shared):
    application = shared["application"]
    assert application.choice_label("hardship_cause", "illness") == "因病"
    assert application.choice_label("members.relation", "spouse") == "配偶"
    assert application.choice_label("members.0.disability_grade", "3") == "三级"
    assert application.choice_label("hardship_cause", "unknown_value") == "unknown_value"
    assert shared["township_review"].choice_label("home_visit", True) == "是"
    assert shared["district_approval"].choice_label("decision", "return") == "退回镇（街道）复核"
    with pytest.raises(KeyError):
        application.choice_label("no_such_field", "x")
