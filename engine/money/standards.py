"""Each region's standard (低保标准): dated data, the one source every rule reads.

A standard is yuan per person, monthly or yearly, by scheme (`dibao` unless said otherwise),
in force from a date. The standard of a case is the one in force on the day a rule runs, of
the nearest ancestor of its village that has one. Decision tables and expressions read it as
`standard_monthly` and `standard_yearly` (one derived exactly from the other: ×12, ÷12).

Standards come from three doors, all through `add`: a bundle's `standards.csv` at deploy
(starting figures, loaded once), the publication step of a standard-adjustment procedure
(service operation `add_standard`), and `yimen standard add`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.people.orgs import REGION_LEVELS, by_code
from engine.store.amounts import Amount, amount
from engine.store.errors import Conflict, Invalid, NotFound
from engine.store.models import OrgUnit, Standard, User
from engine.store.uow import unit_of_work
from engine.time import calendar, clock
from engine.workflow.bridge import Unavailable

DEFAULT_SCHEME = "dibao"
PERIODS = {"month": "元/人·月", "year": "元/人·年"}
NAMES = ("standard_monthly", "standard_yearly")
# A standard above this (yuan per person per month) is a typing error, not a standard.
MAX_MONTHLY = Decimal("100000")
CSV_HEADER = ["scheme", "from", "amount", "period", "document"]


class NoStandard(Unavailable):
    """No standard is in force for the region on the day a rule needs one."""


# ---------------------------------------------------------------- values


def monthly(standard: Standard) -> Amount:
    value = Amount(standard.amount)
    return value if standard.period == "month" else value / 12


def yearly(standard: Standard) -> Amount:
    value = Amount(standard.amount)
    return value if standard.period == "year" else value * 12


def names(standard: Standard) -> dict[str, Amount]:
    """What decision tables and expressions see."""
    return {"standard_monthly": monthly(standard), "standard_yearly": yearly(standard)}


# ---------------------------------------------------------------- reading


def in_force(db: Session, org_path: str, on: date,
             scheme: str = DEFAULT_SCHEME) -> Standard | None:
    """The standard in force on `on` for an org (its path): of the nearest ancestor (or the
    org itself) that has one in force, the newest from on or before that day."""
    codes = [c for c in org_path.split("/") if c]
    return db.scalars(
        select(Standard).join(Standard.region)
        .where(OrgUnit.code.in_(codes), Standard.scheme == scheme,
               Standard.effective_from <= on)
        .order_by(func.length(OrgUnit.path).desc(), Standard.effective_from.desc())
        .limit(1)).first()


def history(db: Session, region_code: str) -> list[Standard]:
    """A region's own standards, in force and past, newest first."""
    if not (region_code or "").strip():
        raise Invalid({"region": ["需要提供 region（地区机构代码）"]})
    region = _region(db, region_code.strip())
    return list(db.scalars(
        select(Standard).where(Standard.region_id == region.id)
        .order_by(Standard.effective_from.desc(), Standard.scheme, Standard.id.desc())))


STATES = {"current": "现行", "pending": "待执行", "past": "已停用"}


def states(rows: list[Standard], today: date) -> list[str]:
    """Each row's state on `today` (rows newest first, as `history` gives them): the newest
    row of a scheme in force is `current`, a later one `pending`, an earlier one `past`."""
    current: dict[str, int] = {}
    for row in rows:
        if row.effective_from <= today:
            current.setdefault(row.scheme, row.id)
    return ["current" if current.get(row.scheme) == row.id else
            "pending" if row.effective_from > today else "past" for row in rows]


def _region(db: Session, code: str) -> OrgUnit:
    try:
        return by_code(db, (code or "").strip())
    except NotFound:
        raise NotFound(f"地区机构代码 {code} 不存在") from None


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class Entry:
    """A checked standard, not yet stored."""

    scheme: str
    effective_from: date
    amount: Decimal
    period: str
    document: str


def check(scheme: Any, effective_from: Any, value: Any, period: Any,
          document: Any = "") -> Entry:
    """The entry, or Invalid naming each bad field (in Chinese)."""
    fields: dict[str, list[str]] = {}
    scheme_text = str(scheme or DEFAULT_SCHEME).strip()
    if not scheme_text.replace("_", "").isalnum() or len(scheme_text) > 32:
        fields["scheme"] = ["保障类别应为字母、数字或下划线，如 dibao"]
    day = None
    if isinstance(effective_from, date):
        day = effective_from
    else:
        try:
            day = date.fromisoformat(str(effective_from or "").strip())
        except ValueError:
            fields["from"] = [f"执行日期应为 YYYY-MM-DD，实际为“{effective_from}”"]
    if day is not None and not 1950 <= day.year <= 2200:
        fields["from"] = [f"执行日期 {day} 不合理"]
    period_text = str(period or "").strip()
    if period_text not in PERIODS:
        fields["period"] = [f"周期应为 month（元/人·月）或 year（元/人·年），实际为“{period}”"]
    number = None
    try:
        number = amount(value)
    except ValueError:
        fields["amount"] = [f"标准应为金额（元），实际为“{value}”"]
    if number is not None:
        monthly_value = number / 12 if period_text == "year" else number
        if number <= 0:
            fields["amount"] = ["标准必须大于 0"]
        elif monthly_value > MAX_MONTHLY:  # before quantize, which 1e400 would overflow
            unit = PERIODS.get(period_text, "元")
            fields["amount"] = [f"标准 {number} {unit} 超出合理范围，请核对"]
        elif number != number.quantize(Decimal("0.01")):
            fields["amount"] = ["标准最多保留两位小数（到分）"]
    text = str(document or "").strip()
    if len(text) > 2000:
        fields["document"] = ["文件说明不能超过 2000 字"]
    if fields:
        raise Invalid(fields, "标准有误，未作任何更改")
    return Entry(scheme_text, day, Decimal(number).quantize(Decimal("0.01")), period_text, text)


def _existing(db: Session, region: OrgUnit, entry: Entry) -> Standard | None:
    return db.scalar(select(Standard).where(
        Standard.region_id == region.id, Standard.scheme == entry.scheme,
        Standard.effective_from == entry.effective_from))


def _same(row: Standard, entry: Entry) -> bool:
    return row.amount == entry.amount and row.period == entry.period


def store(db: Session, region: OrgUnit, entry: Entry, source: str, now: datetime,
          actor: User | None = None) -> tuple[Standard, bool]:
    """Add the entry in the caller's transaction; (row, added). The same figure again is no
    change; a different figure for the same region, scheme and day is a Conflict."""
    from engine.store import audit

    if region.level not in REGION_LEVELS:
        raise Invalid({"region": [f"{region.name}不是地区：低保标准按省、市、区（县）"
                                  "或镇（街道）设定，不能设在村（居）或评估机构"]})
    row = _existing(db, region, entry)
    if row is not None:
        if _same(row, entry):
            return row, False
        raise Conflict(f"{region.name} {entry.effective_from} 起已有{entry.scheme}标准 "
                       f"{row.amount} {PERIODS[row.period]}，不能再录入不同的标准；"
                       "如需调整，请以新的执行日期录入")
    row = Standard(region=region, scheme=entry.scheme, effective_from=entry.effective_from,
                   amount=entry.amount, period=entry.period, document=entry.document,
                   source=source[:64], created_at=now,
                   created_by_id=actor.id if actor is not None else None)
    db.add(row)
    db.flush()
    audit.record(db, now, actor, "standard.added",
                 comment=f"{region.name} {entry.scheme} 标准 {entry.amount} "
                         f"{PERIODS[entry.period]}，{entry.effective_from} 起执行",
                 changes={"region": region.code, "scheme": entry.scheme,
                          "from": entry.effective_from.isoformat(),
                          "amount": str(entry.amount), "period": entry.period})
    return row, True


def add(db: Session, region_code: str, effective_from: Any, value: Any, period: Any,
        scheme: Any = DEFAULT_SCHEME, document: Any = "", source: str = "cli",
        actor: User | None = None, now: datetime | None = None) -> Standard:
    """Add a dated standard for a region (one transaction); bad input changes nothing."""
    now = now or clock.now()
    with unit_of_work(db):
        region = _region(db, region_code)
        entry = check(scheme, effective_from, value, period, document)
        row, _ = store(db, region, entry, source, now, actor)
    return row


# ---------------------------------------------------------------- standards.csv of a bundle


def parse_csv(text: str, file_name: str = "standards.csv") -> tuple[list[Entry], list[str]]:
    """A bundle's starting figures: header `scheme,from,amount,period,document`."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if header != CSV_HEADER:
        return [], [f"{file_name}：表头应为 {','.join(CSV_HEADER)}，实际为 {','.join(header)}"]
    entries, problems, seen = [], [], set()
    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        try:
            entry = check(row.get("scheme"), row.get("from"), row.get("amount"),
                          row.get("period"), row.get("document"))
        except Invalid as exc:
            problems.extend(f"{file_name} 第 {line} 行：{m}"
                            for messages in exc.fields.values() for m in messages)
            continue
        if (entry.scheme, entry.effective_from) in seen:
            problems.append(f"{file_name} 第 {line} 行：{entry.scheme} {entry.effective_from} 重复")
            continue
        seen.add((entry.scheme, entry.effective_from))
        entries.append(entry)
    return entries, problems


def load_entries(db: Session, region: OrgUnit, entries: list[Entry], source: str,
                 now: datetime, actor: User | None = None) -> list[str]:
    """Load a bundle's starting figures (standards.csv) for a region, in the caller's
    transaction: only for a scheme the region itself has no standard for yet.

    After that, a region's standard changes by its adjustment procedure or `yimen standard
    add`, never by editing or redeploying a file; so a second deploy, an edited file or another
    county's bundle deployed to the same region leaves the region's standards as they are.
    Returns no problems (the signature keeps room for them)."""
    have = set(db.scalars(select(Standard.scheme).where(Standard.region_id == region.id)))
    for entry in entries:
        if entry.scheme not in have:
            store(db, region, entry, source, now, actor)
    return []


# ---------------------------------------------------------------- what rules see


@dataclass
class Reader:
    """The standard's names for designer text run for one org on one day: what
    engine.workflow.bridge.StepContext.values holds for a case's step (looked up once, only
    when the text reads them)."""

    db: Session
    org_path: str
    on: date
    found: dict[str, Amount] = field(default_factory=dict)

    def __call__(self, source: str) -> dict[str, Amount]:
        """{} when the text reads neither name; NoStandard when none is in force."""
        if "standard_" not in source or not any(n in source for n in NAMES):
            return {}
        if not self.found:
            standard = in_force(self.db, self.org_path, self.on)
            if standard is None:
                raise NoStandard(
                    f"本地区在 {self.on} 没有有效的低保标准"
                    "（请先录入：yimen standard add，或部署带 standards.csv 的流程包）")
            self.found.update(names(standard))
        return self.found


def reader(db: Session, org_path: str, on: date | datetime) -> Reader:
    """What rules run for the org at `org_path` on `on` (a day, or an instant's day in China)
    see of its standard."""
    return Reader(db, org_path, calendar.local_date(on) if isinstance(on, datetime) else on)
