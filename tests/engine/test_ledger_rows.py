"""What a ledger shows is decided in engine/data/ledgers.py (issue #12, point 6): which step
fields count as the category and the amount, and how a level's book is grouped."""

from __future__ import annotations

from engine.data import ledgers
from engine.store.models import Case, OrgUnit, User


def _row(status: str, steps: dict, village: str = "甲一村", township: str = "甲镇"):
    case = Case(status=status, village=OrgUnit(name=village, level="village"))
    return ledgers.LedgerRow(case, township, steps)


STEPS = {
    "village_evaluation": ("village_form", {"category": "A", "amount": 300.0}),
    "township_review": ("township_form", {"category": "", "note": "ok"}),
    "district_approval": ("district_form", {"amount": 412.5, "decision": "approve"}),
}


def test_the_last_step_that_recorded_a_field_wins_and_empty_values_do_not_count():
    row = _row("approved", STEPS)
    assert row.category == ("village_form", "A")
    assert row.amount == 412.5


def test_an_amount_is_shown_for_approved_cases_only():
    for status in ("running", "rejected", "withdrawn", "exited"):
        assert _row(status, STEPS).amount is None
    assert _row("approved", {}).amount is None
    assert _row("approved", {}).category is None


def test_a_township_groups_by_village_a_district_by_township_a_village_not_at_all():
    rows = [_row("approved", {}, "甲一村", "甲镇"), _row("running", {}, "甲二村", "甲镇"),
            _row("approved", {}, "乙一村", "乙镇"), _row("approved", {}, "丙村", "")]

    def by(level: str) -> dict[str, int]:
        actor = User(role="clerk", org=OrgUnit(level=level))
        return {k: len(v) for k, v in ledgers.groups(actor, rows).items()}

    assert by("village") == {}
    assert by("township") == {"甲一村": 1, "甲二村": 1, "乙一村": 1, "丙村": 1}
    assert by("district") == {"甲镇": 2, "乙镇": 1, "—": 1}
