"""Exit and 销号 (扶贫对象销号制度，完善贫困人口退出标准和程序, 临扶组字〔2017〕3号 第十章四).

An exit is proposed for a household on the roll, named by its household id or its head's ID
number, never by re-entering an application: `name_household` turns a household id into the
head's ID number the start form carries, and `on_roll` refuses a household without a benefit
in force (nothing is stored) and hands back its application on file, so that the exit's
steps, decision tables and notice read the household's members and name. When the exit case
ends `exited`, `record` writes the 销号 record: the day, the reason (`exit_reason`) and the
confirming document (`exit_document`), beside the benefit's end (engine/money/benefits.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.money import households
from engine.store import audit
from engine.store.errors import Invalid
from engine.store.models import Case, Household, HouseholdExit, OrgUnit, ProcedureVersion
from engine.time import calendar

# The reasons a household leaves the roll (form field `exit_reason` of the exit procedures).
REASONS = {
    "stable_out_of_poverty": "稳定脱贫",
    "moved_away": "迁出",
    "deceased": "死亡",
    "no_longer_eligible": "不再符合条件",
}
# Older or other bundles' values of `exit_reason`, read as one of the four: a review that
# takes a household out records why, whatever its form called it.
ALIASES = {
    "income_stable": "stable_out_of_poverty",
    "out_of_poverty": "stable_out_of_poverty",
    "income_above_standard": "no_longer_eligible",
}
HOUSEHOLD_FIELD = "household_id"  # the API's other way of naming the household


def name_household(db: Session, version: ProcedureVersion, village: OrgUnit,
                   application: Any) -> Any:
    """An application naming the household by `household_id`, rewritten to name it by its
    head's ID number (the start form's field); any other application is returned as it is."""
    if not isinstance(application, dict) or HOUSEHOLD_FIELD not in application:
        return application
    rest = {k: v for k, v in application.items() if k != HOUSEHOLD_FIELD}
    raw = application[HOUSEHOLD_FIELD]
    household_id = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    if household_id is None and isinstance(raw, str) and raw.strip().isdigit():
        household_id = int(raw.strip())
    found = None if household_id is None else db.scalar(select(Household).where(
        Household.id == household_id, Household.region_path == version.region.path,
        Household.org_path == village.path))
    if found is None:
        raise Invalid({HOUSEHOLD_FIELD: [f"{village.name}的保障名册中没有编号为 {raw} 的家庭"]})
    given = str(rest.get(households.HEAD_FIELD) or "").strip().upper()
    if given and given != found.head_id_number:
        raise Invalid({households.HEAD_FIELD: ["户主身份证号码与所选家庭不一致"]})
    return {**rest, households.HEAD_FIELD: found.head_id_number}


def on_roll(db: Session, version: ProcedureVersion, village: OrgUnit,
            clean: dict[str, Any]) -> dict[str, Any]:
    """The application on file of the household an exit (or review) names, which must be on
    the roll of this village with a benefit in force; otherwise `Invalid`, before anything
    is stored."""
    head = str(clean.get(households.HEAD_FIELD) or "").strip().upper()
    # Only this village's roll is searched: the same answer for a household enrolled in
    # another village as for none, so an ID number cannot tell where someone is enrolled.
    household = db.scalar(select(Household).where(
        Household.region_path == version.region.path, Household.head_id_number == head,
        Household.org_path == village.path))
    benefit = None if household is None else households.current_benefit(db, household.id)
    if benefit is None or benefit.exit_case_id is not None:
        raise Invalid({households.HEAD_FIELD: [
            f"该户不在保障名册中（{village.name}没有此户主身份证号码正在享受待遇的家庭），"
            "不能办理退出或复核"]})
    holder = db.get(Case, benefit.case_id)
    return dict(holder.application) if holder is not None else {}


def reason_of(data: dict[str, Any]) -> str:
    """The exit's reason, as one of REASONS (a review's own wording mapped; none given: the
    household no longer meets the conditions, which is what a review's exit finds)."""
    given = str(data.get("exit_reason") or "")
    given = ALIASES.get(given, given)
    return given if given in REASONS else "no_longer_eligible"


def record(db: Session, case: Case, data: dict[str, Any], now: datetime) -> HouseholdExit | None:
    """The 销号 record of the household of a case that ended `exited` (once per case)."""
    if case.household_id is None:
        return None
    if db.scalar(select(HouseholdExit.id).where(HouseholdExit.case_id == case.id)):
        return None
    entry = HouseholdExit(household_id=case.household_id, case_id=case.id,
                          exited_on=calendar.local_date(now), reason=reason_of(data),
                          document=str(data.get("exit_document") or "").strip()[:200],
                          created_at=now)
    db.add(entry)
    audit.record(db, now, None, "household.deregistered", case=case,
                 comment=f"销号：{REASONS[entry.reason]}，{entry.exited_on}"
                         + (f"，{entry.document}" if entry.document else ""))
    return entry


def of_household(db: Session, household_id: int) -> list[HouseholdExit]:
    """A household's 销号 records, oldest first."""
    return list(db.scalars(select(HouseholdExit).where(HouseholdExit.household_id == household_id)
                           .order_by(HouseholdExit.id)))


def exit_procedures(db: Session, household: Household) -> list[tuple[str, str, str]]:
    """The stand-alone exit procedures deployed for the household's village (not reviews,
    which the worker starts): (procedure key, name, village code), for a "发起退出" action."""
    from engine.workflow import procedures

    code = [c for c in household.org_path.split("/") if c][-1:]
    village = db.scalar(select(OrgUnit).where(OrgUnit.code.in_(code)))
    if village is None:
        return []
    found: dict[str, tuple[str, str, str]] = {}
    for version in procedures.list_versions(db):
        if version.key in found or not village.path.startswith(version.region.path):
            continue
        model = procedures.model_of(version)
        if model.exits and not model.review_months:
            found[version.key] = (version.key, version.name, village.code)
    return sorted(found.values())
