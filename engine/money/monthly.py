"""The monthly statistics (统计月报) of a region: the roll, its movement, the money and the work.

Every seed asks for a report per region and month; Jiangmen's 江府〔2018〕6号 adds the top-up
level (补差水平, engine/money/stats.py). One report gives, for the region and the month:

- households and persons with a benefit in force on the report day (the month's last day, or
  today for the running month), by the `category` the procedure decided (认定类别 / 分类施保);
- new entries (a benefit first paid from a day of the month), exits (a benefit ended on a day
  of the month) and gradual exits (渐退: households whose exit case, approved, waits out its
  phase-out period on the report day, still paid);
- the monthly top-ups in force and the average per person against the standard;
- the work: open steps on the report day by step, the average time a step completed in the
  month took, and the share of those steps (completed in the month or still open) that are or
  were past their deadline.

Counts are exact; averages are rounded once at the end, half up (days to 0.1, shares to 0.001).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from engine.money import stats
from engine.store import amounts
from engine.store.models import (
    Benefit,
    Case,
    HumanTask,
    Notice,
    OrgUnit,
    ProcedureVersion,
    ProcessInstance,
    User,
)
from engine.time import calendar, clock
from engine.workflow import procedures

TENTH = Decimal("0.1")
UNKNOWN = ""  # the category of a benefit whose procedure decided none


@dataclass(frozen=True)
class Group:
    """Households, persons and their monthly top-ups (yuan) in one group."""

    key: str
    households: int
    persons: int
    amount_total: Decimal


@dataclass(frozen=True)
class StepLine:
    """One step (BPMN user task id) of the region's cases in the month."""

    step: str
    name: str
    open: int  # open at the end of the report day
    completed: int  # completed during the month (cancelled ones left out)
    avg_days: Decimal | None  # mean calendar days from opening to completion, to 0.1
    overdue: int  # of those completed or open, how many were or are past due


@dataclass(frozen=True)
class Monthly:
    region: OrgUnit
    month: str  # YYYY-MM
    first: date
    on: date  # the report day: the month's last day, or today for the running month
    levels: list[stats.TopupLevel]  # the whole region first, then by area (stats.py)
    by_category: list[Group]  # largest first; UNKNOWN last
    new: Group
    exited: Group
    gradual_exit: int  # households in a phase-out period on the report day
    steps: list[StepLine]
    overdue_share: Decimal | None  # overdue / (completed in the month + open), to 0.001

    @property
    def whole(self) -> stats.TopupLevel:
        return self.levels[0]


def _group(key: str, rows: list[Benefit]) -> Group:
    return Group(key, len(rows), sum(b.household_size or 0 for b in rows),
                 sum((amounts.amount(b.monthly_amount) for b in rows), Decimal(0)))


def category_of(benefit: Benefit) -> str:
    """The category kept with the benefit's facts (engine/money/benefits.py `KEPT`)."""
    value = (benefit.facts or {}).get("category")
    return value if isinstance(value, str) and value else UNKNOWN


def by_category(rows: list[Benefit]) -> list[Group]:
    found: dict[str, list[Benefit]] = defaultdict(list)
    for row in rows:
        found[category_of(row)].append(row)
    groups = [_group(k, v) for k, v in found.items()]
    return sorted(groups, key=lambda g: (g.key == UNKNOWN, -g.households, g.key))


def _in_region(region: OrgUnit):
    return Case.org_path.startswith(region.path, autoescape=True)


def movements(db: Session, region: OrgUnit, first: date, on: date) -> tuple[Group, Group]:
    """Benefits started (source `approval`) and ended (an exit's 0 row) from `first` to `on`;
    an exit counts the persons of the household it ended."""
    rows = db.scalars(select(Benefit).join(Case, Case.id == Benefit.case_id).where(
        _in_region(region), Benefit.effective_from >= first, Benefit.effective_from <= on,
        or_(Benefit.source == "approval", Benefit.source.startswith(Benefit.EXIT))))
    started, ended = [], []
    for row in rows:
        (ended if row.exit_case_id is not None else started).append(row)
    return _group("new", started), _group("exited", ended)


def _open_at(instant: datetime):
    return and_(HumanTask.created_at <= instant,
                or_(HumanTask.completed_at.is_(None), HumanTask.completed_at > instant))


def gradual_exits(db: Session, region: OrgUnit, instant: datetime) -> int:
    """Exit cases under the region that, at `instant`, had started, had no step open and no
    public notice running, yet had not ended: they wait on a timer that is not a notice,
    which in an exit procedure is the phase-out period (渐退, bpmn/README.md)."""
    task = HumanTask.case_id == Case.id
    rows = db.execute(select(Case.id, Case.procedure_version_id).where(
        _in_region(region), Case.household_id.is_not(None), Case.opened_at <= instant,
        or_(Case.closed_at.is_(None), Case.closed_at > instant),
        Case.id.in_(select(ProcessInstance.case_id)),
        exists(select(HumanTask.id).where(task, HumanTask.completed_at <= instant)),
        ~exists(select(HumanTask.id).where(task, _open_at(instant))),
        ~exists(select(Notice.id).where(
            Notice.case_id == Case.id, Notice.starts_at <= instant,
            or_(Notice.closed_at.is_(None), Notice.closed_at > instant))))).all()
    exiting: dict[int, bool] = {}
    for _case_id, version_id in rows:
        if version_id not in exiting:
            version = db.get(ProcedureVersion, version_id)
            exiting[version_id] = procedures.model_of(version).exits
    return sum(1 for _case_id, version_id in rows if exiting[version_id])


def _days(delta: timedelta) -> Decimal:
    return Decimal(delta.total_seconds()) / Decimal(86400)


def steps(db: Session, region: OrgUnit, start: datetime,
          instant: datetime) -> tuple[list[StepLine], Decimal | None]:
    """Steps open at `instant` and completed from `start` to `instant`, by step; and the share
    of all of them past their deadline."""
    rows = db.execute(select(HumanTask.step, HumanTask.name, HumanTask.created_at,
                             HumanTask.completed_at, HumanTask.due_at, HumanTask.outcome)
                      .join(Case, Case.id == HumanTask.case_id)
                      .where(_in_region(region), HumanTask.created_at <= instant,
                             or_(HumanTask.completed_at.is_(None),
                                 HumanTask.completed_at > start))
                      .order_by(HumanTask.id)).all()
    names: dict[str, str] = {}
    opened: dict[str, int] = defaultdict(int)
    took: dict[str, list[Decimal]] = defaultdict(list)
    late: dict[str, int] = defaultdict(int)
    for step, name, created, completed, due, outcome in rows:
        created, completed, due = (clock.as_utc(created), clock.as_utc(completed),
                                   clock.as_utc(due))
        if completed is not None and completed <= instant:
            if outcome == "cancelled":
                continue
            took[step].append(_days(completed - created))
            ended = completed
        else:
            opened[step] += 1
            ended = instant
        names.setdefault(step, name)
        if due is not None and ended > due:
            late[step] += 1
    lines = [StepLine(s, names[s], opened[s], len(took[s]),
                      (sum(took[s], Decimal(0)) / len(took[s])).quantize(TENTH, ROUND_HALF_UP)
                      if took[s] else None, late[s]) for s in names]
    counted = sum(line.open + line.completed for line in lines)
    share = (Decimal(sum(line.overdue for line in lines)) / counted).quantize(
        stats.PER_MILLE, ROUND_HALF_UP) if counted else None
    return sorted(lines, key=lambda line: (-line.open, -line.completed, line.step)), share


def build(db: Session, region: OrgUnit, month: str, on: date, now: datetime) -> Monthly:
    """The report of a region for the month whose report day is `on` (no access check: the
    callers below decide who may see what)."""
    first = on.replace(day=1)
    start = calendar.end_of_day(first - timedelta(days=1))
    instant = min(calendar.end_of_day(on), clock.as_utc(now))
    rows = stats.in_force(db, region, on)
    goals = stats.targets(db, region)
    levels = stats.levels_of(db, region, on, rows, goals)
    new, exited = movements(db, region, first, on)
    lines, share = steps(db, region, start, instant)
    return Monthly(region, month, first, on, levels, by_category(rows), new, exited,
                   gradual_exits(db, region, instant), lines, share)


def report(db: Session, actor: User, region_code: str | None = None, month: str | None = None,
           now: datetime | None = None) -> Monthly:
    """The monthly report of a region (default: the actor's own org) for officials who may
    see its statistics (stats.VIEWER_ROLES, their own org or below)."""
    now = now or clock.now()
    region, label, on = stats.resolve(db, actor, region_code, month, now)
    return build(db, region, label, on, now)


@dataclass(frozen=True)
class Public:
    """What anyone may see of a district's month (信息公开): counts and amounts only."""

    region: OrgUnit
    month: str
    on: date
    households: int
    persons: int
    amount_total: Decimal
    avg_per_person: Decimal | None
    standard_monthly: Decimal | None
    by_category: list[Group]
    new: Group
    exited: Group


PUBLIC_LEVELS = ("district", "city", "province")


def public(db: Session, region_code: str, month: str | None = None,
           now: datetime | None = None) -> Public:
    """A district's figures for the public: no names, no ID numbers, no single household."""
    now = now or clock.now()
    region, label, on = stats.public_region(db, region_code, PUBLIC_LEVELS, month, now)
    rows = stats.in_force(db, region, on)
    whole = stats.levels_of(db, region, on, rows, {})[0]
    new, exited = movements(db, region, on.replace(day=1), on)
    return Public(region, label, on, whole.households, whole.persons, whole.amount_total,
                  whole.avg_per_person, whole.standard_monthly, by_category(rows), new, exited)


def public_home(db: Session, org: OrgUnit) -> str | None:
    """The code of the district (or, failing one, the city or province) whose public figures
    cover `org`: the page a village's notice list links to."""
    codes = org.path_codes()
    found = {o.level: o.code for o in db.scalars(select(OrgUnit).where(
        OrgUnit.code.in_(codes), OrgUnit.level.in_(PUBLIC_LEVELS)))}
    return next((found[level] for level in PUBLIC_LEVELS if level in found), None)
