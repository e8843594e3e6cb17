"""The monthly payroll (发放花名册) of a township or district: who is paid how much this month.

A household is due for a month the benefit in force on the month's last day (the rule the
statistics use, engine/money/stats.py): the newest row, by effective date, of its approved
cases; an exit's 0 row stops it. Each line says what changed since the month before:
- `new`: nothing last month, paid now;
- `adjusted`: paid both months, a different amount;
- `gradual_exit` (渐退): still paid while a review that ends the benefit waits out its
  phase-out period (the household's running case waits on a timer with no open step and no
  open notice);
- `stopped`: paid last month, nothing now (listed with 0.00, so that the bank stops it);
- None: unchanged.

The district confirms its payroll for a month once (`confirm`): its lines are then stored as
they were and every later view of that month, the district's or a township's below it, reads
the stored lines (`frozen`), whatever happens to the benefits afterwards. The confirmation is
audited with the payroll's digest. Bank accounts are personal data: they are shown to the
township, district and admin officials of the region only, and never written to the audit
trail or a log. Amounts are exact Decimals, summed without rounding.
"""

from __future__ import annotations

import calendar as months
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from engine.money import households
from engine.people.orgs import by_code
from engine.store import audit
from engine.store.errors import Conflict, Forbidden, Invalid, NotFound
from engine.store.models import (
    Benefit,
    Case,
    Household,
    HouseholdPayee,
    HumanTask,
    Notice,
    OrgUnit,
    Payroll,
    PayrollRow,
    ProcessInstance,
    User,
)
from engine.store.uow import unit_of_work
from engine.time import calendar, clock
from forms.idcard import mask_id_number

VIEWER_ROLES = ("township", "district", "admin")
CONFIRMER_ROLES = ("district",)
LEVELS = ("township", "district")
CHANGES = ("new", "adjusted", "gradual_exit", "stopped")
ZERO = Decimal("0.00")


@dataclass
class Line:
    household_id: int
    org_path: str
    village_code: str
    village_name: str
    name: str
    id_number_masked: str
    account: str
    amount: Decimal
    previous_amount: Decimal
    change: str | None


@dataclass
class VillageTotal:
    code: str
    name: str
    households: int  # paid this month (amount > 0)
    amount: Decimal


@dataclass
class Sheet:
    region: OrgUnit
    month: str  # YYYY-MM
    lines: list[Line]  # by village code, then household
    frozen: bool
    confirmed_at: datetime | None = None
    villages: list[VillageTotal] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def paid(self) -> list[Line]:
        return [line for line in self.lines if line.amount > 0]

    def count(self, change: str | None) -> int:
        return sum(1 for line in self.lines if line.change == change)


def month_days(month: str | None) -> tuple[date, date]:
    """The last day of the month and of the month before; `Invalid` for a bad month."""
    first = calendar.first_of_month(month)
    last = first.replace(day=months.monthrange(first.year, first.month)[1])
    before = date.fromordinal(first.toordinal() - 1)
    return last, before


def region_for(db: Session, actor: User, region_code: str | None) -> OrgUnit:
    """The township or district whose payroll the actor may see."""
    if actor.role not in VIEWER_ROLES:
        raise Forbidden("只有镇（街道）、区级人员和管理员可以查看发放花名册")
    if not region_code:
        raise Invalid({"region": ["请指定镇（街道）或区的机构代码"]})
    try:
        region = by_code(db, region_code)
    except NotFound:
        raise Invalid({"region": [f"机构代码 {region_code} 不存在"]}) from None
    if region.level not in LEVELS:
        raise Invalid({"region": ["发放花名册按镇（街道）或区（县）编制"]})
    if not actor.org.covers(region):
        raise Forbidden("您无权查看该地区的发放花名册")
    return region


def _amounts(db: Session, region: OrgUnit, last: date, before: date
             ) -> tuple[dict[int, tuple[Decimal, str]], dict[int, Decimal]]:
    """Each household's amount in force on `last` (with its holding case's village path) and
    on `before`, as households.rows_in_force defines it (an exit's 0 row ends the payment
    whatever the dates of the rows before it); one query."""
    now: dict[int, tuple[Decimal, str]] = {}
    then: dict[int, Decimal] = {}
    rows = db.execute(households.in_force_query(
        (Case.household_id, Case.org_path, Benefit.effective_from, Benefit.monthly_amount),
        on=last, region_path=region.path).where(Case.household_id.is_not(None)))
    for household_id, org_path, effective, amount in rows:
        now[household_id] = (amount, org_path)
        if effective <= before:
            then[household_id] = amount
    return now, then


def _phasing_out(db: Session, region: OrgUnit) -> set[int]:
    """Households whose running case waits on a timer with nothing open: a phase-out (渐退)."""
    return set(db.scalars(
        select(Case.household_id).join(ProcessInstance, ProcessInstance.case_id == Case.id)
        .where(Case.status == "running", Case.household_id.is_not(None),
               Case.org_path.startswith(region.path, autoescape=True),
               ProcessInstance.next_timer_at.is_not(None),
               ~exists(select(HumanTask.id).where(HumanTask.case_id == Case.id,
                                                  HumanTask.completed_at.is_(None))),
               ~exists(select(Notice.id).where(Notice.case_id == Case.id,
                                               Notice.closed_at.is_(None))))))


def _confirmed(db: Session, region: OrgUnit, month: str) -> Payroll | None:
    """The confirmed payroll of the region or the district above it for the month."""
    codes = region.path_codes()
    above = ["/" + "".join(f"{c}/" for c in codes[:n]) for n in range(1, len(codes) + 1)]
    return db.scalars(select(Payroll).join(Payroll.region)
                      .where(Payroll.month == month, OrgUnit.path.in_(above))).first()


def _stored(db: Session, payroll: Payroll, region: OrgUnit) -> list[Line]:
    columns = (PayrollRow.household_id, PayrollRow.org_path, PayrollRow.village_code,
               PayrollRow.village_name, PayrollRow.name, PayrollRow.id_number_masked,
               PayrollRow.account, PayrollRow.amount, PayrollRow.previous_amount,
               PayrollRow.change)
    rows = db.execute(select(*columns).where(
        PayrollRow.payroll_id == payroll.id,
        PayrollRow.org_path.startswith(region.path, autoescape=True))
        .order_by(PayrollRow.village_code, PayrollRow.household_id))
    return [Line(*row) for row in rows]


def change_of(amount: Decimal, previous: Decimal, phasing_out: bool) -> str | None:
    if amount > 0 and previous <= 0:
        return "new"
    if amount <= 0:
        return "stopped"
    if phasing_out:
        return "gradual_exit"
    return "adjusted" if amount != previous else None


def _live(db: Session, region: OrgUnit, month: str, today: date) -> list[Line]:
    """The lines as the benefits stand now. A phase-out is known only as it is now, so
    `gradual_exit` is marked for the current and later months; a past month shows what its
    confirmed payroll stored."""
    last, before = month_days(month)
    now, then = _amounts(db, region, last, before)
    earlier = _confirmed(db, region, f"{before:%Y-%m}")
    if earlier is not None:  # last month as it was paid
        then = {line.household_id: line.amount for line in _stored(db, earlier, region)}
    phasing = _phasing_out(db, region) if last >= today else set()
    villages = {o.path: o for o in db.scalars(select(OrgUnit).where(
        OrgUnit.level == "village", OrgUnit.path.startswith(region.path, autoescape=True)))}
    people = {h_id: (name, number, account or "") for h_id, name, number, account in db.execute(
        select(Household.id, Household.head_name, Household.head_id_number,
               HouseholdPayee.bank_account)
        .outerjoin(HouseholdPayee, HouseholdPayee.household_id == Household.id)
        .where(Household.id.in_(select(Case.household_id).where(
            Case.status == "approved",
            Case.org_path.startswith(region.path, autoescape=True)))))}
    lines = []
    for household_id, (amount, org_path) in now.items():
        previous = then.get(household_id, ZERO)
        if amount <= 0 and previous <= 0:
            continue
        village = villages.get(org_path)
        name, number, account = people[household_id]
        lines.append(Line(household_id, org_path, village.code if village else "",
                          village.name if village else "", name, mask_id_number(number),
                          account, amount, previous,
                          change_of(amount, previous, household_id in phasing)))
    lines.sort(key=lambda line: (line.village_code, line.household_id))
    return lines


def _village_totals(lines: list[Line]) -> list[VillageTotal]:
    totals: dict[str, VillageTotal] = {}
    for line in lines:
        total = totals.setdefault(line.village_code,
                                  VillageTotal(line.village_code, line.village_name, 0, ZERO))
        if line.amount > 0:
            total.households += 1
            total.amount += line.amount
    return list(totals.values())


def sheet(db: Session, actor: User, region_code: str | None, month: str | None) -> Sheet:
    """The payroll of a township or district for a month: the stored one once the district
    has confirmed it, else as the benefits stand now."""
    region = region_for(db, actor, region_code)
    month_days(month)
    assert month is not None
    confirmed = _confirmed(db, region, month)
    lines = (_stored(db, confirmed, region) if confirmed is not None
             else _live(db, region, month, calendar.local_date(clock.now())))
    return Sheet(region, month, lines, confirmed is not None,
                 confirmed.confirmed_at if confirmed else None, _village_totals(lines))


def digest(lines: list[Line]) -> str:
    """SHA-256 over the lines as confirmed (household, amount, change, account)."""
    text = "\n".join(f"{line.household_id}|{line.amount}|{line.change or ''}|{line.account}"
                     for line in lines)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def confirm(db: Session, actor: User, region_code: str | None, month: str | None,
            now: datetime | None = None) -> Payroll:
    """The district freezes its payroll for the month, audited with the payroll's digest."""
    now = now or clock.now()
    with unit_of_work(db):
        region = region_for(db, actor, region_code)
        if actor.role not in CONFIRMER_ROLES:
            raise Forbidden("只有区级人员可以确认发放花名册")
        if region.level != "district":
            raise Invalid({"region": ["发放花名册由区（县）统一确认，请选择区"]})
        last, _before = month_days(month)
        assert month is not None
        today = calendar.local_date(now)
        if last.toordinal() - today.toordinal() > 62:
            raise Invalid({"month": ["只能确认本月及以前、或下一个月的花名册"]})
        if _confirmed(db, region, month) is not None:
            raise Conflict(f"{region.name} {month} 的发放花名册已确认，不能再次确认")
        lines = _live(db, region, month, today)
        payroll = Payroll(region_id=region.id, month=month, households=len(
            [line for line in lines if line.amount > 0]),
            total=sum((line.amount for line in lines), ZERO), sha256=digest(lines),
            confirmed_at=now, confirmed_by_id=actor.id)
        db.add(payroll)
        db.flush()
        if lines:
            db.execute(insert(PayrollRow), [
                {"payroll_id": payroll.id, "household_id": line.household_id,
                 "org_path": line.org_path, "village_code": line.village_code,
                 "village_name": line.village_name, "name": line.name,
                 "id_number_masked": line.id_number_masked, "account": line.account,
                 "amount": line.amount, "previous_amount": line.previous_amount,
                 "change": line.change} for line in lines])
        audit.record(db, now, actor, "payroll.confirmed",
                     comment=f"确认 {region.name} {month} 发放花名册：{payroll.households} 户，"
                             f"合计 {payroll.total} 元",
                     changes={"region": region.code, "month": month,
                              "households": payroll.households, "total": str(payroll.total),
                              "sha256": payroll.sha256})
    return payroll
