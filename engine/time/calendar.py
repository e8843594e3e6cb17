"""China's working-day calendar: holidays and make-up working weekends (调休).

Every time limit in these procedures counts working days. The calendar is a table of
exceptions to the Monday–Friday rule (holidays on weekdays, working weekends), per year the
State Council announces, seeded from `chinesecalendar` and extended by administrators' CSV
imports. A region (any org unit) may add local days on top. A date in a year the calendar does
not cover is an explicit error naming the year, never a weekend-only guess.

Lookups go through a small per-process cache of covered years, refreshed after
`CACHE_SECONDS`, so that computing a due date on the hot path costs no query. A year found not
covered is never cached: the moment an import commits, every process sees the year (changed
days of an already covered year reach other processes within the TTL). An import also gives
open tasks and cases left without a due date theirs (engine.casework.deadlines, which
holds the import services).
"""

from __future__ import annotations

import csv
import io
import re
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.store.errors import Forbidden, Invalid
from engine.store.models import CalendarDay, CalendarYear, OrgUnit, User

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
# The years a calendar may hold: a date outside is a typing error (0001, 9999), not a plan.
YEARS = range(1950, 2201)
CACHE_SECONDS = 60.0
HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes", "是"), ("false", "0", "no", "否")


class YearNotCovered(Invalid):
    def __init__(self, year: int):
        super().__init__(
            {"calendar": [f"工作日历未覆盖 {year} 年，请管理员导入 {year} 年节假日安排"]},
            f"工作日历未覆盖 {year} 年",
        )
        self.year = year


@dataclass
class _Year:
    covered: bool
    national: dict[date, bool]
    regional: dict[str, dict[date, bool]]  # org code → overrides
    loaded_at: float


_cache: dict[int, _Year] = {}


def forget_cached() -> None:
    _cache.clear()


def _year(db: Session | None, year: int) -> _Year:
    cached = _cache.get(year)
    if cached is not None and _time.monotonic() - cached.loaded_at < CACHE_SECONDS:
        return cached
    if db is None:
        raise RuntimeError(f"calendar year {year} is not cached: the lookup needs a session")
    covered = db.scalar(select(CalendarYear.id).where(
        CalendarYear.year == year, CalendarYear.region_id.is_(None))) is not None
    national: dict[date, bool] = {}
    regional: dict[str, dict[date, bool]] = {}
    rows = db.execute(
        select(CalendarDay.day, CalendarDay.is_workday, OrgUnit.code)
        .outerjoin(OrgUnit, OrgUnit.id == CalendarDay.region_id)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    ).all()
    for day, workday, code in rows:
        (national if code is None else regional.setdefault(code, {}))[day] = workday
    entry = _Year(covered, national, regional, _time.monotonic())
    if covered:  # "not covered" is asked again next time: an import may have just committed
        _cache[year] = entry
    return entry


def regions_of(org_path: str) -> tuple[str, ...]:
    """The org codes of a path (a case's ancestors), outermost first: whose local days apply."""
    return tuple(c for c in org_path.split("/") if c)


def is_workday(day: date, regions: tuple[str, ...] = (), db: Session | None = None) -> bool:
    """Whether `day` is a working day, national rules overlaid by each region in order."""
    year = _year(db, day.year)
    if not year.covered:
        raise YearNotCovered(day.year)
    value = year.national.get(day, day.weekday() < 5)
    for code in regions:
        value = year.regional.get(code, {}).get(day, value)
    return value


DATE_OUT_OF_RANGE = "日期超出可计算的范围（最晚到 9999-12-31）"


def add_working_days(start: date, days: int, regions: tuple[str, ...] = (),
                     db: Session | None = None) -> date:
    """The `days`-th working day after `start` (start itself does not count)."""
    if days < 0 or days > 3650:
        raise Invalid({"days": ["天数应在 0 到 3650 之间"]})
    current, remaining = start, days
    while remaining > 0:
        current = next_day(current)
        if is_workday(current, regions, db):
            remaining -= 1
    return current


def next_day(day: date) -> date:
    """The day after `day`; past 9999-12-31 there is none, which is the caller's input error."""
    try:
        return day + timedelta(days=1)
    except OverflowError:
        raise Invalid({"start": [DATE_OUT_OF_RANGE]}, DATE_OUT_OF_RANGE) from None


def local_date(instant: datetime) -> date:
    return instant.astimezone(CHINA).date()


def end_of_day(day: date) -> datetime:
    """A deadline day ends at midnight Beijing time; stored in UTC."""
    return datetime.combine(next_day(day), time(0, 0), CHINA).astimezone(UTC)


def due_at(opened: datetime, working_days: int | None, calendar_days: int | None,
           regions: tuple[str, ...] = (), db: Session | None = None) -> datetime | None:
    """When a step opened at `opened` falls due, or None when it has no deadline."""
    if working_days:
        return end_of_day(add_working_days(local_date(opened), working_days, regions, db))
    if calendar_days:
        return end_of_day(local_date(opened) + timedelta(days=calendar_days))
    return None


def working_days_between(start: date, end: date, regions: tuple[str, ...] = (),
                         db: Session | None = None) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_workday(current, regions, db):
            count += 1
    return count


# ---------------------------------------------------------------- functions for designer text


def expression_functions(db: Session, regions: tuple[str, ...],
                         now: datetime) -> dict[str, Callable[..., str]]:
    """The calendar functions BPMN expressions and scripts may call, for one step: counted
    from the step's day, on the case's regions (engine.workflow.bridge.StepContext)."""
    today = local_date(now)

    def working_days_later(days: int) -> str:
        """ISO instant at which `days` working days from today end: for `timeDate` timers."""
        return end_of_day(add_working_days(today, int(days), regions, db)).isoformat()

    def days_later(days: int) -> str:
        """ISO instant at which `days` calendar days from today end: for `timeDate` timers."""
        return end_of_day(today + timedelta(days=int(days))).isoformat()

    def add_working_days_iso(start: str, days: int) -> str:
        """`add_working_days` on ISO dates, for scripts and conditions."""
        return add_working_days(date.fromisoformat(start), int(days), regions, db).isoformat()

    return {"working_days_later": working_days_later, "days_later": days_later,
            "add_working_days": add_working_days_iso}


EXPRESSION_FUNCTIONS = ("working_days_later", "days_later", "add_working_days")


# ---------------------------------------------------------------- loading


def _parse_bool(raw: str) -> bool | None:
    word = raw.strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def parse_csv(text: str) -> tuple[list[tuple[date, bool, str]], list[str]]:
    """Rows of `date,is_workday,note`; every bad line is reported."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    if header[:2] != ["date", "is_workday"]:
        return [], [f"表头应为 date,is_workday,note，实际为 {','.join(header)}"]
    rows, problems, seen = [], [], set()
    for line, raw in enumerate(reader, start=2):
        if None in raw:  # csv puts values past the header's columns under None
            problems.append(f"第 {line} 行：值的个数多于表头的 {len(header)} 列")
            continue
        raw = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        try:
            day = date.fromisoformat(raw.get("date", ""))
        except ValueError:
            problems.append(f"第 {line} 行：日期“{raw.get('date', '')}”应为 YYYY-MM-DD")
            continue
        if day.year not in YEARS:
            problems.append(f"第 {line} 行：日期 {day} 不在 {YEARS.start}–{YEARS.stop - 1} 年之间")
            continue
        workday = _parse_bool(raw.get("is_workday", ""))
        if workday is None:
            problems.append(f"第 {line} 行：is_workday 应为 true/false 或 1/0")
            continue
        if day in seen:
            problems.append(f"第 {line} 行：日期 {day} 重复")
        seen.add(day)
        rows.append((day, workday, raw.get("note", "")[:100]))
    if not rows and not problems:
        problems.append("文件中没有日期行")
    return rows, problems


def import_rows(db: Session, rows: list[tuple[date, bool, str]], region: OrgUnit | None = None,
                source: str = "import") -> list[int]:
    """Replace these dates' rows and mark their years covered (nationally, when no region)."""
    region_id = region.id if region else None
    years = sorted({d.year for d, _, _ in rows})
    existing = {
        c.day: c for c in db.scalars(select(CalendarDay).where(
            CalendarDay.day.in_([d for d, _, _ in rows]),
            CalendarDay.region_id.is_(None) if region_id is None
            else CalendarDay.region_id == region_id))
    }
    for day, workday, note in rows:
        row = existing.get(day) or CalendarDay(day=day, region_id=region_id)
        row.is_workday, row.note = workday, note
        db.add(row)
    covered = set(db.scalars(select(CalendarYear.year).where(
        CalendarYear.year.in_(years),
        CalendarYear.region_id.is_(None) if region_id is None
        else CalendarYear.region_id == region_id)))
    for year in years:
        if year not in covered:
            db.add(CalendarYear(year=year, region_id=region_id, source=source))
    forget_cached()
    return years


MANAGER_ROLES = ("admin",)


def require_manager(actor: User) -> None:
    if actor.role not in MANAGER_ROLES:
        raise Forbidden("只有系统管理员可以管理工作日历")


def load_csv(db: Session, text: str, region_code: str | None = None) -> list[int]:
    """Load a year's announced exceptions from CSV in the caller's transaction; all rows or
    none (Invalid lists every problem). The service that commits it and dates what waited
    for the year is engine.casework.deadlines.import_calendar."""
    rows, problems = parse_csv(text)
    region = None
    if region_code:
        region = db.scalar(select(OrgUnit).where(OrgUnit.code == region_code))
        if region is None:
            problems.append(f"地区机构代码 {region_code} 不存在")
    if problems:
        raise Invalid({"file": problems}, "日历文件有误，未导入任何数据")
    return import_rows(db, rows, region)


def seed_rows(db: Session, last_year: int | None = None) -> list[int]:
    """National exceptions for every year chinesecalendar knows and the table lacks, in the
    caller's transaction (engine.casework.deadlines.seed_calendar commits them).

    `last_year` stops at a year whatever the installed release knows (tests: their calendar
    must not change when a new release ships the next year).
    """
    from chinese_calendar.constants import holidays, workdays

    have = set(db.scalars(select(CalendarYear.year).where(CalendarYear.region_id.is_(None))))
    last = last_year or date.max.year
    rows = [{"day": d, "is_workday": False, "note": HOLIDAY_NAMES.get(str(n), str(n))}
            for d, n in holidays.items() if d.year not in have and d.year <= last]
    rows += [{"day": d, "is_workday": True,
              "note": f"{HOLIDAY_NAMES.get(str(n), str(n))}调休上班"}
             for d, n in workdays.items() if d.year not in have and d.year <= last]
    years = sorted({r["day"].year for r in rows})
    if rows:  # bulk: a few multi-row INSERTs, not one per day
        db.execute(insert(CalendarDay), rows)
        db.execute(insert(CalendarYear), [
            {"year": y, "region_id": None, "source": "chinesecalendar"} for y in years])
    forget_cached()
    return years


@dataclass
class YearView:
    year: int
    covered: bool
    days: list[tuple[date, bool, str, str | None]]  # date, is_workday, note, region code


def first_of_month(month: str | None) -> date:
    """The first day of a month written YYYY-MM (2000-2200); `Invalid` on the field "month"
    for anything else (2026-1, 2026-13, 1999-12)."""
    text = month or ""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}", text, re.ASCII):
            raise ValueError(text)
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise Invalid({"month": [f"月份应写作 YYYY-MM，实际为“{text}”"]}) from None
    if not 2000 <= first.year <= 2200:
        raise Invalid({"month": ["月份超出范围"]})
    return first


def show(db: Session, year: int) -> YearView:
    if year not in YEARS:
        raise Invalid({"year": [f"年份应在 {YEARS.start}–{YEARS.stop - 1} 之间"]}, "年份不合理")
    covered = db.scalar(select(CalendarYear.id).where(
        CalendarYear.year == year, CalendarYear.region_id.is_(None))) is not None
    rows = db.execute(
        select(CalendarDay.day, CalendarDay.is_workday, CalendarDay.note, OrgUnit.code)
        .outerjoin(OrgUnit, OrgUnit.id == CalendarDay.region_id)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    ).all()
    return YearView(year, covered, [tuple(r) for r in rows])
