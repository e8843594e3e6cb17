"""The monthly payroll (发放花名册): amounts in force, changes from last month (new, adjusted,
gradual exit, stopped), village totals, scope, and the district's confirmation that freezes it.
Households come from an imported roll and change through real yearly reviews."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.casework import reviews, tasks
from engine.data import payroll, roll
from engine.money import households
from engine.store import audit
from engine.store.errors import Conflict, Forbidden, Invalid
from engine.store.models import AuditEvent, Benefit, Case, Household
from engine.time import clock
from tests.engine.test_dynamic import review_data
from tests.engine.test_roll_import import HEAD_A, HEAD_B, HEAD_C, xlsx
from tests.factories import make_world, open_task
from tests.forms.samples import make_id_number

HEAD_D = make_id_number(date(1955, 9, 10), 37)
ROWS = [
    ["H1", "V11", "self", "张一", HEAD_A, "1950-01-02", "dibao", "620.50", "2024-03-01",
     "6217002870012345"],
    ["H2", "V11", "self", "王二", HEAD_B, "1960-05-06", "dibao", "300", "2025-12-15",
     "6230520460001234"],
    ["H3", "V12", "self", "赵三", HEAD_C, "1970-07-08", "poverty", "455", "2026-06-01",
     "6217002870099999"],
    ["H4", "V21", "self", "钱四", HEAD_D, "1955-09-10", "both", "500", "2025-01-01",
     "6230520460005555"],
]
VILLAGE_USER = {"V11": ("vil11", "town1"), "V12": ("vil12", "town1"), "V21": ("vil21", "town2")}


@pytest.fixture
def world(db):
    w = make_world(db)
    roll.import_roll(db, w.user("dist"), "D1", xlsx(ROWS))
    return w


def review(world, head: str, data: dict) -> None:
    """Work the household's running review: the village's check, the township's approval."""
    db = world.db
    case = db.scalar(select(Case).join(Household, Household.id == Case.household_id).where(
        Household.head_id_number == head, Case.status == "running"))
    village, township = VILLAGE_USER[case.org_path.split("/")[-2]]
    tasks.complete(db, world.user(village), open_task(db, case.id).id, data)
    tasks.complete(db, world.user(township), open_task(db, case.id).id, {"decision": "approve"})


def june(world) -> None:
    """This June's reviews: H1 adjusted to 650, H2 into a 12-month phase-out, H4 out at once,
    H3 still being checked."""
    reviews.start_yearly(world.db, world.user("dist"), "D1")
    reviews.run_jobs(world.db)
    review(world, HEAD_A, review_data("adjust", new_amount=650))
    review(world, HEAD_B, review_data("exit", gradual_exit=True))
    review(world, HEAD_D, review_data("exit"))


def lines(sheet: payroll.Sheet) -> list[tuple]:
    return [(x.village_code, x.name, x.id_number_masked, x.account, x.amount,
             x.previous_amount, x.change) for x in sheet.lines]


def test_the_month_with_every_kind_of_change(world):
    june(world)
    found = payroll.sheet(world.db, world.user("dist"), "D1", "2026-06")
    assert (found.region.code, found.month, found.frozen) == ("D1", "2026-06", False)
    assert lines(found) == [
        ("V11", "张一", HEAD_A[:6] + "********" + HEAD_A[-4:], "6217002870012345",
         Decimal("650.00"), Decimal("620.50"), "adjusted"),
        ("V11", "王二", HEAD_B[:6] + "********" + HEAD_B[-4:], "6230520460001234",
         Decimal("300.00"), Decimal("300.00"), "gradual_exit"),
        ("V12", "赵三", HEAD_C[:6] + "********" + HEAD_C[-4:], "6217002870099999",
         Decimal("455.00"), Decimal("0.00"), "new"),
        ("V21", "钱四", HEAD_D[:6] + "********" + HEAD_D[-4:], "6230520460005555",
         Decimal("0.00"), Decimal("500.00"), "stopped"),
    ]
    # 650.00 + 300.00 + 455.00 + 0.00
    assert found.total == Decimal("1405.00")
    assert [(v.code, v.name, v.households, v.amount) for v in found.villages] == [
        ("V11", "甲一村", 2, Decimal("950.00")), ("V12", "甲二村", 1, Decimal("455.00")),
        ("V21", "乙一村", 0, Decimal("0.00"))]
    # May, before the reviews: three households unchanged since April, H3 not yet started
    may = payroll.sheet(world.db, world.user("dist"), "D1", "2026-05")
    assert [(x.name, x.amount, x.change) for x in may.lines] == [
        ("张一", Decimal("620.50"), None), ("王二", Decimal("300.00"), None),
        ("钱四", Decimal("500.00"), None)]
    assert may.total == Decimal("1420.50")
    # December 2025: H2 started on the 15th, so it is new that month
    december = payroll.sheet(world.db, world.user("dist"), "D1", "2025-12")
    assert [(x.name, x.change) for x in december.lines] == [
        ("张一", None), ("王二", "new"), ("钱四", None)]


def test_a_township_sees_its_villages_only(world):
    june(world)
    found = payroll.sheet(world.db, world.user("town1"), "T1", "2026-06")
    assert [x.name for x in found.lines] == ["张一", "王二", "赵三"]
    assert found.total == Decimal("1405.00")
    with pytest.raises(Forbidden):
        payroll.sheet(world.db, world.user("town1"), "D1", "2026-06")
    with pytest.raises(Forbidden):
        payroll.sheet(world.db, world.user("town2"), "T1", "2026-06")
    with pytest.raises(Forbidden):
        payroll.sheet(world.db, world.user("vil11"), "V11", "2026-06")
    with pytest.raises(Invalid) as bad:
        payroll.sheet(world.db, world.user("dist"), "V11", "2026-06")
    assert bad.value.fields == {"region": ["发放花名册按镇（街道）或区（县）编制"]}
    with pytest.raises(Invalid) as bad:
        payroll.sheet(world.db, world.user("dist"), "D1", "2026-6")
    assert bad.value.fields == {"month": ["月份应写作 YYYY-MM，实际为“2026-6”"]}


def test_the_district_confirms_once_and_the_month_is_frozen(world):
    db = world.db
    june(world)
    with pytest.raises(Forbidden):
        payroll.confirm(db, world.user("town1"), "T1", "2026-06")
    with pytest.raises(Invalid):
        payroll.confirm(db, world.user("dist"), "T1", "2026-06")
    with pytest.raises(Invalid):  # too far ahead
        payroll.confirm(db, world.user("dist"), "D1", "2026-09")
    confirmed = payroll.confirm(db, world.user("dist"), "D1", "2026-06")
    assert (confirmed.households, confirmed.total) == (3, Decimal("1405.00"))
    with pytest.raises(Conflict):
        payroll.confirm(db, world.user("dist"), "D1", "2026-06")
    # a benefit changing afterwards leaves the confirmed month as it was
    holder = db.scalar(select(Case.id).join(Household, Household.id == Case.household_id)
                       .where(Household.head_id_number == HEAD_C, Case.status == "approved"))
    db.add(Benefit(case_id=holder, monthly_amount=Decimal("999.00"), household_size=1,
                   effective_from=date(2026, 6, 2), source="test", created_at=clock.now()))
    db.commit()
    frozen = payroll.sheet(db, world.user("town1"), "T1", "2026-06")
    assert frozen.frozen and frozen.confirmed_at is not None
    assert [(x.name, x.amount, x.change) for x in frozen.lines] == [
        ("张一", Decimal("650.00"), "adjusted"), ("王二", Decimal("300.00"), "gradual_exit"),
        ("赵三", Decimal("455.00"), "new")]
    # July compares with June as it was paid: H3's 999.00 is an adjustment from 455.00
    july = payroll.sheet(db, world.user("dist"), "D1", "2026-07")
    assert [(x.name, x.previous_amount, x.amount, x.change) for x in july.lines] == [
        ("张一", Decimal("650.00"), Decimal("650.00"), None),
        ("王二", Decimal("300.00"), Decimal("300.00"), "gradual_exit"),
        ("赵三", Decimal("455.00"), Decimal("999.00"), "adjusted")]
    # the confirmation is audited, with the digest and no account number
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "payroll.confirmed"))
    assert event.changes == {"region": "D1", "month": "2026-06", "households": 3,
                             "total": "1405.00", "sha256": confirmed.sha256}
    assert "6217" not in event.comment and audit.verify(db).ok


def test_phase_out_ends_and_the_household_stops(world):
    june(world)
    later = clock.now() + timedelta(days=370)
    from engine.casework import timers

    timers.run_pass(world.db, later)
    found = payroll.sheet(world.db, world.user("dist"), "D1", "2027-06")
    assert [(x.name, x.amount, x.change) for x in found.lines
            if x.change is not None] == [("王二", Decimal("0.00"), "stopped")]


def test_an_approved_household_is_paid_to_the_account_its_application_names(db):
    """Households approved through the procedure (not imported) are paid where the
    application says: the payroll lists that account, not 未登记."""
    from engine.casework import cases
    from tests.factories import after_notice, walk
    from tests.forms.samples import valid_application

    world = make_world(db)
    application = {**valid_application(), "bank_account": "6228480402564890018"}
    case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", application,
                       now=clock.now())
    after_notice(db, walk(world, case.id, ["approve"] * 5, clock.now()))
    db.refresh(case)
    assert case.status == "approved"
    sheet = payroll.sheet(db, world.user("dist"), "D1", "2026-06")
    assert [(line.household_id, line.account) for line in sheet.lines] == [
        (case.household_id, "6228480402564890018")]


def test_an_exit_ends_the_payment_whatever_the_dates_of_the_rows_before_it(world):
    """A row dated ahead (as a recalculation after a standard adopted for next January
    writes it) must not outlive an exit recorded after it: the payroll reads the benefit in
    force as the household page does."""
    db = world.db
    reviews.start_yearly(db, world.user("dist"), "D1")
    reviews.run_jobs(db)
    held = db.scalar(select(Benefit).join(Case, Case.id == Benefit.case_id)
                     .join(Household, Household.id == Case.household_id)
                     .where(Household.head_id_number == HEAD_D))
    db.add(Benefit(case_id=held.case_id, monthly_amount=Decimal("520.00"),
                   household_size=held.household_size, effective_from=date(2027, 1, 1),
                   source="recalculation:test", created_at=clock.now()))
    db.commit()
    review(world, HEAD_D, review_data("exit"))
    for month in ("2026-12", "2027-01", "2027-06"):
        found = payroll.sheet(db, world.user("dist"), "D1", month)
        assert [x.amount for x in found.lines if x.name == "钱四"] in ([], [Decimal("0.00")])
        assert found.total == sum((x.amount for x in found.lines), Decimal(0))
    exited = db.scalar(select(Household).where(Household.head_id_number == HEAD_D))
    assert households.ended(households.rows_in_force(db, household_id=exited.id)[exited.id])
