"""One definition of the benefit "in force" (engine.money.households.rows_in_force), read by
the statistics of a day and by the work of today (exits, reviews) alike: the most recently
recorded row of the household's newest approved case, counting only rows in effect by the day
when a day is asked for."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.money import benefits, stats
from engine.people import orgs
from engine.store.models import Benefit
from engine.time import clock
from tests.engine.test_dynamic import approved
from tests.factories import make_world


@pytest.fixture
def world(db):
    return make_world(db)


def _add(db, old: Benefit, amount: str, effective_from, source: str) -> None:
    db.add(Benefit(case_id=old.case_id, monthly_amount=Decimal(amount),
                   per_capita_income=old.per_capita_income, household_size=old.household_size,
                   effective_from=effective_from, source=source, created_at=clock.now()))
    db.commit()


def test_a_back_dated_row_counts_from_its_date_and_a_row_dated_ahead_only_from_then(world):
    db = world.db
    case = approved(world, clock.now() - timedelta(days=100))
    first = db.scalar(select(Benefit).where(Benefit.case_id == case.id))
    assert first.monthly_amount == Decimal("420.00")
    start = first.effective_from
    region = orgs.by_code(db, "D1")

    # a recalculation recorded later but in effect from ten days before the approval
    _add(db, first, "500.00", start - timedelta(days=10), "job:1")
    assert [b.monthly_amount for b in stats.in_force(db, region, start)] == [Decimal("500.00")]
    assert [b.monthly_amount for b in stats.in_force(db, region, start - timedelta(days=11))] \
        == []
    assert benefits.in_force(db, case).monthly_amount == Decimal("500.00")

    # a row in effect sixty days on: today's work sees it, a day before it does not
    _add(db, first, "600.00", start + timedelta(days=60), "job:2")
    assert [b.monthly_amount for b in stats.in_force(db, region, start + timedelta(days=59))] \
        == [Decimal("500.00")]
    assert [b.monthly_amount for b in stats.in_force(db, region, start + timedelta(days=60))] \
        == [Decimal("600.00")]
    assert benefits.in_force(db, case).monthly_amount == Decimal("600.00")

    # an exit's 0 row ends it for both
    _add(db, first, "0.00", start + timedelta(days=61), f"{Benefit.EXIT}999")
    assert stats.in_force(db, region, start + timedelta(days=61)) == []
    assert benefits.in_force(db, case) is None
