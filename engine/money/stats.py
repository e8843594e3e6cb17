"""A region's top-up level (补差水平): its average monthly top-up per person, against the standard.

江府〔2018〕6号 asks that "城镇低保补差水平不低于当地低保标准的75%，
农村低保补差水平不低于当地低保标准的50%".
In civil-affairs usage 补差水平 is the region's average top-up per person, an indicator to report
against, not a floor for each household. It is computed here from the benefits in force on a
day: the sum of the monthly top-ups of the households with a benefit (not ended by an exit),
divided by the persons in those households; grouped by the household's `area` where its
decision tables keep one (urban `town` / rural `village`), and for the whole region. The ratio is
that average divided by the region's standard in force on that day (engine/money/standards.py). The
target shares come from the bundle (process property `topupLevelTargets`).

Rounding, once, at the end: the average to fen and the ratio to 0.1 %, both half up.
"""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.money import households, standards
from engine.people.orgs import by_code
from engine.store import amounts
from engine.store.errors import Forbidden, Invalid, NotFound
from engine.store.models import Benefit, OrgUnit, ProcedureVersion, User
from engine.time import calendar, clock
from engine.workflow import procedures

VIEWER_ROLES = ("admin", "district", "township")
PER_MILLE = Decimal("0.001")
ALL = ""  # the group of every household of the region


@dataclass(frozen=True)
class TopupLevel:
    area: str  # the households' `area` (town, village…), or ALL
    households: int
    persons: int
    amount_total: Decimal  # yuan per month
    avg_per_person: Decimal | None  # yuan per person and month, to fen
    standard_monthly: Decimal | None  # yuan per person and month, exact (shown to the fen)
    ratio: Decimal | None  # amount_total / persons / standard_monthly, to 0.001
    target: Decimal | None  # the bundle's target share, if it sets one for this area

    @property
    def meets_target(self) -> bool | None:
        if self.ratio is None or self.target is None:
            return None
        return self._exact_ratio >= self.target

    @property
    def _exact_ratio(self) -> Decimal:
        return self.amount_total / self.persons / self.standard_monthly


def in_force(db: Session, region: OrgUnit, on: date) -> list[Benefit]:
    """Each household's benefit row in force on `on` under the region (the one definition,
    households.rows_in_force), ended ones left out."""
    rows = households.rows_in_force(db, on, region_path=region.path)
    return [b for b in rows.values() if not households.ended(b)]


def targets(db: Session, region: OrgUnit) -> dict[str, Decimal]:
    """The target shares declared by the newest procedures deployed to the region or above."""
    codes = region.path_codes()
    above = ["/" + "".join(f"{c}/" for c in codes[:n]) for n in range(1, len(codes) + 1)]
    newest: dict[str, ProcedureVersion] = {}
    for version in db.scalars(select(ProcedureVersion).join(ProcedureVersion.region)
                              .where(OrgUnit.path.in_(above))
                              .order_by(OrgUnit.path, ProcedureVersion.version)):
        newest[version.key] = version  # the lowest region's newest version wins
    found: dict[str, Decimal] = {}
    for version in newest.values():
        found.update(procedures.model_of(version).topup_level_targets)
    return found


def _area(benefit: Benefit) -> str:
    area = (benefit.facts or {}).get("area")
    return area if isinstance(area, str) else ALL


def level(rows: list[Benefit], area: str, target: Decimal | None,
          standard_monthly: Decimal | None) -> TopupLevel:
    """The top-up level of a group of benefit rows against the standard (rounded once, here)."""
    persons = sum(b.household_size or 0 for b in rows)
    total = sum((amounts.amount(b.monthly_amount) for b in rows), Decimal(0))
    avg = ratio = None
    if persons:
        avg = amounts.fen(total / persons)
        if standard_monthly:
            ratio = (total / persons / standard_monthly).quantize(PER_MILLE, ROUND_HALF_UP)
    return TopupLevel(area, len(rows), persons, total, avg, standard_monthly, ratio, target)


def check_viewer(actor: User, region: OrgUnit) -> None:
    if actor.role not in VIEWER_ROLES:
        raise Forbidden("只有管理员、区级和镇（街道）人员可以查看统计")
    if not actor.org.covers(region):
        raise Forbidden("您无权查看该地区的统计")


def levels_of(db: Session, region: OrgUnit, on: date, rows: list[Benefit],
              goals: dict[str, Decimal]) -> list[TopupLevel]:
    """The whole region first, then one line per area (each target area, even if empty)."""
    found = standards.in_force(db, region.path, on)
    standard = standards.monthly(found) if found else None
    areas = sorted({_area(b) for b in rows} - {ALL} | set(goals))
    return [level(rows, ALL, None, standard)] + [
        level([b for b in rows if _area(b) == a], a, goals.get(a), standard) for a in areas]


def topup_levels(db: Session, actor: User, region: OrgUnit, on: date) -> list[TopupLevel]:
    """The whole region first, then one line per area (each target area, even if empty)."""
    check_viewer(actor, region)
    return levels_of(db, region, on, in_force(db, region, on), targets(db, region))


@dataclass(frozen=True)
class Report:
    region: OrgUnit
    month: str  # YYYY-MM
    on: date  # the day whose benefits are counted: the month's last day, or today
    levels: list[TopupLevel]  # the whole region first, then by area


def _day(month: str | None, today: date) -> tuple[str, date]:
    if not month:
        return f"{today:%Y-%m}", today
    first = calendar.first_of_month(month)
    last = first.replace(day=months.monthrange(first.year, first.month)[1])
    return month, min(last, today) if first <= today else last


def _region(db: Session, region_code: str) -> OrgUnit:
    try:
        return by_code(db, region_code)
    except NotFound:
        raise Invalid({"region": [f"机构代码 {region_code} 不存在"]}) from None


def resolve(db: Session, actor: User, region_code: str | None, month: str | None,
            now: datetime) -> tuple[OrgUnit, str, date]:
    """The region (default: the actor's own org) the actor may see, the month's label and
    its report day (default: today; a past month: its last day)."""
    label, on = _day(month, calendar.local_date(now))
    region = _region(db, region_code) if region_code else actor.org
    check_viewer(actor, region)
    return region, label, on


def public_region(db: Session, region_code: str, levels: tuple[str, ...], month: str | None,
                  now: datetime) -> tuple[OrgUnit, str, date]:
    """A region whose figures anyone may see (信息公开), only at these levels; NotFound else."""
    label, on = _day(month, calendar.local_date(now))
    region = by_code(db, region_code)
    if region.level not in levels:
        raise NotFound("该机构没有公开的统计")
    return region, label, on


def report(db: Session, actor: User, region_code: str | None = None, month: str | None = None,
           now: datetime | None = None) -> Report:
    """The top-up levels of a region (default: the actor's own org) for a month (default:
    today's benefits; a past month: those in force on its last day)."""
    region, label, on = resolve(db, actor, region_code, month, now or clock.now())
    return Report(region, label, on, topup_levels(db, actor, region, on))
