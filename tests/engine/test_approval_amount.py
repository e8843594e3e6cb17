"""The monthly top-up a district official approves is checked against the household's standard:
an impossible figure is a field error that stores nothing, never a benefit, a public notice or
a payroll line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from engine.casework import cases, tasks
from engine.store.errors import Invalid
from engine.store.models import Benefit, Notice
from tests.factories import make_world, open_task, valid_application, valid_step_data, walk

AT = datetime(2026, 3, 2, 2, tzinfo=UTC)  # a Monday, 10:00 in Beijing
# Linzi's standard: 4,300 yuan a person a year (bpmn/linzi/standards.csv); the sample household
# has 3 members. 4300 / 12 * 3 = 1,075.00 a month; twice that is the ceiling.
CEILING = "2150.00"


@pytest.fixture
def world(db):
    return make_world(db)


def at_district_approval(world):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=AT)
    at = walk(world, case.id, ["approve"] * 4, AT)
    task = open_task(world.db, case.id)
    assert task.step == "district_approval"
    return case, task, at


def approve(world, task, amount, at):
    data = {**valid_step_data("district_approval", "approve"), "amount": amount}
    return tasks.complete(world.db, world.user("dist"), task.id, data, now=at)


@pytest.mark.parametrize("amount", [99999999999, 2150.01])
def test_an_amount_past_twice_the_standard_is_refused_and_stores_nothing(world, amount):
    db = world.db
    case, task, at = at_district_approval(world)
    notices = db.scalar(select(func.count()).select_from(Notice))
    with pytest.raises(Invalid) as refused:
        approve(world, task, amount, at)
    [message] = refused.value.fields["amount"]
    assert f"超过本户上限 {CEILING} 元" in message and "4300.00 元/人·年 ÷ 12 × 3 人 × 2" in message
    assert open_task(db, case.id).id == task.id
    assert db.scalar(select(func.count()).select_from(Benefit)) == 0
    assert db.scalar(select(func.count()).select_from(Notice)) == notices


def test_an_amount_up_to_the_ceiling_is_approved(world):
    db = world.db
    case, task, at = at_district_approval(world)
    approve(world, task, float(CEILING), at)
    assert open_task(db, case.id) is None  # the district notice runs
    assert db.scalar(select(Notice.proposed_amount).order_by(Notice.id.desc()).limit(1)) \
        is not None
