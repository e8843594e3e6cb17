"""Valid sample submissions for the shared forms, for this and other test suites.

from tests.forms.samples import valid_application, valid_step_data
"""

from __future__ import annotations

import copy
import itertools
from datetime import date
from typing import Any

from forms.idcard import check_char

LINZI = "370305"  # 山东省淄博市临淄区


def make_id_number(
    birth: date, sequence: int = 12, *, male: bool = True, region: str = LINZI
) -> str:
    """A valid 18-character identity number (correct check character) for a birth date."""
    gender_digit = (sequence * 2 + (1 if male else 0)) % 10
    first17 = f"{region}{birth:%Y%m%d}{sequence % 100:02d}{gender_digit}"
    return first17 + check_char(first17)


#: "today" for validating the sample step data (their dates lie before it).
SAMPLE_TODAY = date(2024, 6, 1)
HEAD_BIRTH = date(1968, 3, 15)
SPOUSE_BIRTH = date(1970, 11, 2)
CHILD_BIRTH = date(2006, 6, 30)


_households = itertools.count(21)


def valid_application(**overrides: Any) -> dict[str, Any]:
    """A complete, valid `application` submission; keyword arguments replace top-level keys.

    Each call is a different household (its own head-of-household ID number), since a
    household may have only one case running at a time.
    """
    head_id = make_id_number(HEAD_BIRTH, next(_households) % 100, male=True)
    data: dict[str, Any] = {
        "head_name": "王建国",
        "head_id_number": head_id,
        "head_phone": "13805331234",
        "address": "凤凰镇后李村3组12号",
        "members": [
            {
                "relation": "self",
                "name": "王建国",
                "id_number": head_id,
                "birth_date": HEAD_BIRTH.isoformat(),
                "labour_capacity": "partial",
                "disability_grade": "3",
                "chronic_illness": "高血压",
                "occupation": "务农",
            },
            {
                "relation": "spouse",
                "name": "李秀英",
                "id_number": make_id_number(SPOUSE_BIRTH, 34, male=False),
                "birth_date": SPOUSE_BIRTH.isoformat(),
                "labour_capacity": "full",
                "occupation": "务农",
            },
            {
                "relation": "child",
                "name": "王小明",
                "id_number": make_id_number(CHILD_BIRTH, 5, male=True),
                "birth_date": CHILD_BIRTH.isoformat(),
                "labour_capacity": "none",
                "disability_grade": "none",
                "occupation": "在校学生",
            },
        ],
        "incomes": [
            {"category": "business", "amount": 6800.0, "note": "种植小麦、玉米"},
            {"category": "basic_pension", "amount": 1680.5},
        ],
        "assets": [
            {"kind": "house", "description": "自建砖瓦房3间", "value": 50000},
        ],
        "hardship_cause": "illness",
        "hardship_description": "户主患高血压多年，常年服药，家庭收入低。",
    }
    data.update(copy.deepcopy(overrides))
    return data


_REASON = "材料不全，需补充家庭收入证明。"

# Step forms whose `reason` is required when the decision is return or reject.
_HAS_REASON = frozenset(
    {"village_evaluation", "township_review", "district_crosscheck", "third_party_verification",
     "district_approval"}
)

_STEP_DATA: dict[str, dict[str, Any]] = {
    "village_evaluation": {
        "meeting_date": "2024-03-05",
        "attendees": 9,
        "votes_for": 8,
        "votes_against": 1,
        "minutes": "评议小组一致认为该户家庭困难情况属实。",
        "minutes_file": "att-20240305-0001",
    },
    "township_review": {
        "investigation_date": "2024-03-12",
        "investigators": "张伟、刘芳",
        "home_visit": True,
        "per_capita_income": 2826.83,
        "opinion": "经入户调查，家庭收入情况与申报一致。",
    },
    "district_crosscheck": {
        "civil_affairs": "consistent",
        "poverty_office": "no_record",
        "disability_federation": "consistent",
        "human_resources": "consistent",
        "notes": "各部门数据未发现异常。",
    },
    "third_party_verification": {
        "verified_on": "2024-03-20",
        "assessor_name": "赵磊",
        "home_visit": True,
        "findings": "入户核实，住房简陋，户主因病长期服药。",
        "photos": "att-20240320-0042",
    },
    "district_approval": {
        "category": "hardship",
    },
}


def valid_step_data(form_key: str, decision: str = "approve") -> dict[str, Any]:
    """A valid submission for one of the step forms, with the given decision
    (a reason is added for return/reject where the form has one, a monthly amount for an
    approved district_approval, and more votes against than for a rejected village evaluation).
    `valid_step_data("application")` is the same as `valid_application()`."""
    if form_key == "application":
        return valid_application()
    if form_key in _NO_DECISION_DATA:  # e.g. refusal_notice: no decision; `decision` is ignored
        return copy.deepcopy(_NO_DECISION_DATA[form_key])
    if form_key not in _STEP_DATA:
        raise KeyError(f"no sample data for form {form_key!r}")
    if decision not in ("approve", "return", "reject"):
        raise ValueError(f"unknown decision {decision!r}")
    data = copy.deepcopy(_STEP_DATA[form_key])
    data["decision"] = decision
    if decision in ("return", "reject") and form_key in _HAS_REASON:
        data["reason"] = _REASON
    if form_key == "village_evaluation" and decision == "reject":
        data.update(votes_for=2, votes_against=7)
    if form_key == "district_approval" and decision == "approve":
        data["amount"] = 420.0
    return data


# Step forms without a `decision` field (they do not route), e.g. serving the refusal notice.
_NO_DECISION_DATA: dict[str, dict[str, Any]] = {
    "refusal_notice": {
        "served_on": "2024-03-25",
        "method": "in_person",
        "recipient": "王建国",
        "reasons": "经信息比对，家庭人均收入高于认定标准。",
        "remedies_informed": True,
        "receipt": "att-20240325-0007",
    },
}

STEP_FORM_KEYS: tuple[str, ...] = tuple(_STEP_DATA)
