"""Adopting a county's existing roll (存量名册): its enrolled households join Yimen as if
they had been approved here.

Each household of an accepted file becomes what an approved identification leaves behind, so
that reviews, recalculations, cross-checks, statistics and payrolls read it like any other: a
`Household` (known by its head's ID number in the procedure's region), an approved `Case` of
the region's identification procedure holding the members as its application (opened and closed
on the start date, audited `case.opened` with the application's digest), a `Benefit` row
(source `roll:<import id>`, from the start date), and a `HouseholdPayee` row with the bank
account and category. A recalculation skips these households until a review has recorded
their incomes (the roll has none), as it skips any household whose facts are unknown.

All or nothing: every row is checked (ID checksums, birth dates, villages under the region,
duplicates in the file and against the households already known in the region) and any problem
refuses the whole file, listing each one by spreadsheet row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.casework import hits
from engine.data import roll_file
from engine.money import benefits, households
from engine.people.orgs import by_code
from engine.store import audit
from engine.store.errors import Forbidden, Invalid, NotFound
from engine.store.models import (
    Benefit,
    Case,
    Household,
    HouseholdPayee,
    OrgUnit,
    ProcedureVersion,
    RollImport,
    User,
)
from engine.store.uow import unit_of_work
from engine.time import calendar, clock
from engine.workflow import procedures

IMPORTER_ROLES = ("admin", "district")
SOURCE = "roll:"


@dataclass
class Imported:
    """One household as the report lists it."""

    code: str  # the file's household code
    rows: tuple[int, int]  # first and last spreadsheet row of its members
    household_id: int
    case_id: int
    village: str
    head_name: str
    persons: int
    monthly_amount: Any


@dataclass
class Result:
    record: RollImport
    households: list[Imported]


def _region(db: Session, actor: User | None, region_code: str) -> OrgUnit:
    try:
        region = by_code(db, region_code)
    except NotFound:
        raise Invalid({"region": [f"机构代码 {region_code} 不存在"]}) from None
    if region.level not in ("district", "township", "city", "province"):
        raise Invalid({"region": ["名册应按区（县）或镇（街道）导入"]})
    if actor is not None:
        if actor.role not in IMPORTER_ROLES:
            raise Forbidden("只有管理员或区级人员可以导入存量名册")
        if not actor.org.covers(region):
            raise Forbidden("您无权为该地区导入名册")
    return region


def identification(db: Session, region: OrgUnit, key: str | None = None) -> ProcedureVersion:
    """The procedure whose approved cases an imported household is recorded as: `key`, or the
    one procedure deployed for the region that starts from a household's application and is
    neither a review nor an exit."""
    if key:
        return procedures.newest_for(db, key, region)
    above = {"/" + "".join(f"{c}/" for c in region.path_codes()[:n])
             for n in range(1, len(region.path_codes()) + 1)}
    newest: dict[str, ProcedureVersion] = {}
    for version in db.scalars(select(ProcedureVersion).join(ProcedureVersion.region)
                              .where(OrgUnit.path.in_(above))
                              .order_by(OrgUnit.path, ProcedureVersion.version)):
        newest[version.key] = version
    fitting = []
    for version in newest.values():
        model = procedures.model_of(version)
        form = procedures.form_of(version, model.start_form)
        if model.exits or model.review_months:
            continue
        if any(f.name == households.HEAD_FIELD for f in form.fields):
            fitting.append(version)
    if len(fitting) != 1:
        found = "、".join(sorted(v.key for v in fitting)) or "无"
        raise Invalid({"procedure": [
            f"无法确定名册家庭所属的认定流程（本地区可用：{found}），请指定 --procedure"]})
    return fitting[0]


def _villages(db: Session, region: OrgUnit, houses: list[roll_file.RollHousehold],
              problems: roll_file.Problems) -> dict[str, OrgUnit]:
    codes = {h.village for h in houses if h.village}
    found = {o.code: o for o in db.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes)))}
    for house in houses:
        village = found.get(house.village)
        if not house.village:
            continue
        if village is None:
            problems.add(house.first_row, "village", f"村代码 {house.village} 不存在")
        elif village.level != "village" or not region.covers(village):
            problems.add(house.first_row, "village",
                         f"{village.name}（{village.code}）不是 {region.name} 下辖的村（居）")
    return found


def _against_roll(db: Session, region_path: str, houses: list[roll_file.RollHousehold],
                  problems: roll_file.Problems) -> None:
    """No member of the file may already head a household known in the region."""
    members = {m.id_number: m for h in houses for m in h.members}
    ids = list(members)
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        for household_id, head in db.execute(select(Household.id, Household.head_id_number)
                                              .where(Household.region_path == region_path,
                                                     Household.head_id_number.in_(chunk))):
            problems.add(members[head].row, "id_number",
                         f"该身份证号码已是本地区在册家庭（家庭编号 {household_id}）的户主")


def _plausible(db: Session, houses: list[roll_file.RollHousehold],
               villages: dict[str, OrgUnit], today: date, problems: roll_file.Problems) -> None:
    """Each household's amount within the ceiling an approval has (benefits.beyond_ceiling):
    the standard in force from its start date times its members, twice."""
    for house in houses:
        village = villages.get(house.village)
        if village is None or not house.members:
            continue
        problem = benefits.beyond_ceiling(db, village.path, len(house.members),
                                          house.monthly_amount, house.start_date or today)
        if problem:
            problems.add(house.head.row, "monthly_amount", problem)


def _application(house: roll_file.RollHousehold) -> dict[str, Any]:
    """The members as an identification application records them (shared form names)."""
    return {"head_name": house.head.name, "head_id_number": house.head.id_number,
            "members": [{"relation": m.relation, "name": m.name, "id_number": m.id_number,
                         "birth_date": m.birth_date.isoformat()} for m in house.members],
            "incomes": [], "assets": []}


def check(db: Session, actor: User | None, region_code: str, content: bytes,
          procedure_key: str | None = None, now: datetime | None = None
          ) -> tuple[OrgUnit, ProcedureVersion, list[roll_file.RollHousehold],
                     dict[str, OrgUnit]]:
    """Read and check a roll file; `Invalid` with every problem by row, or what to write."""
    today = calendar.local_date(now or clock.now())
    region = _region(db, actor, region_code)
    version = identification(db, region, procedure_key)
    problems = roll_file.Problems()
    try:
        header, rows = roll_file.read_rows(content)
    except ValueError as exc:
        raise Invalid({"file": [str(exc)]}, "名册文件无法读取，未导入任何数据") from None
    houses = roll_file.parse(header, rows, today, problems)
    villages = _villages(db, region, houses, problems)
    _against_roll(db, version.region.path, houses, problems)
    _plausible(db, houses, villages, today, problems)
    if problems:
        raise Invalid(problems.fields,
                      f"名册有 {len(problems.fields)} 处错误，未导入任何数据")
    return region, version, houses, villages


def import_roll(db: Session, actor: User | None, region_code: str, content: bytes,
                filename: str = "", procedure_key: str | None = None,
                now: datetime | None = None) -> Result:
    """Load a roll file for a region, all or nothing (`actor` None: the machine's operator,
    as for `yimen deploy` without --as)."""
    now = now or clock.now()
    with unit_of_work(db):
        region, version, houses, villages = check(db, actor, region_code, content,
                                                  procedure_key, now)
        record = RollImport(region_id=region.id, filename=filename[:200],
                            sha256=hashlib.sha256(content).hexdigest(), households=len(houses),
                            persons=sum(len(h.members) for h in houses), imported_at=now,
                            imported_by_id=actor.id if actor else None)
        db.add(record)
        db.flush()
        report = [_write(db, actor, record, version, villages[h.village], h, now)
                  for h in houses]
        audit.record(db, now, actor, "roll.imported",
                     comment=f"导入 {region.name} 存量名册 {record.households} 户 "
                             f"{record.persons} 人",
                     changes={"roll_import": record.id, "region": region.code,
                              "sha256": record.sha256, "households": record.households,
                              "persons": record.persons})
    return Result(record, report)


def _write(db: Session, actor: User | None, record: RollImport, version: ProcedureVersion,
           village: OrgUnit, house: roll_file.RollHousehold, now: datetime) -> Imported:
    start = house.start_date
    assert start is not None  # checked
    started = datetime.combine(start, time(0, 0), calendar.CHINA).astimezone(UTC)
    application = _application(house)
    household = Household(region_path=version.region.path, org_path=village.path,
                          head_id_number=house.head.id_number, head_name=house.head.name[:100],
                          created_at=now)
    db.add(household)
    db.flush()
    case = Case(procedure_version_id=version.id, village_id=village.id, org_path=village.path,
                status="approved", applicant_name=house.head.name[:100],
                household_size=len(house.members), application=application, opened_at=started,
                opened_by_id=actor.id if actor else None, closed_at=started,
                household_id=household.id)
    db.add(case)
    db.flush()
    hits.open_case(db, case, now)  # members indexed for cross-checks, like any other case
    db.add(Benefit(case_id=case.id, monthly_amount=house.monthly_amount,
                   per_capita_income=None, household_size=len(house.members),
                   effective_from=start, source=f"{SOURCE}{record.id}", created_at=now,
                   facts={"category": house.category}))
    db.add(HouseholdPayee(household_id=household.id, bank_account=house.bank_account,
                          source=f"{SOURCE}{record.id}",
                          updated_at=now))
    audit.record(db, now, actor, "case.opened", case=case, step="roll_import",
                 comment=f"存量名册导入（第 {record.id} 批，户编号 {house.code}），"
                         f"自 {start} 起月保障金 {house.monthly_amount} 元",
                 changes={"application_sha256": audit.application_digest(application),
                          "roll_import": record.id})
    rows = [m.row for m in house.members]
    return Imported(house.code, (min(rows), max(rows)), household.id, case.id, village.name,
                    house.head.name, len(house.members), house.monthly_amount)
