"""Program matching (民生保障项目自动匹配): the support programs a household's members qualify for.

Jiangmen's 江府〔2018〕6号 wants a database that "为低收入人口自动匹配相应的民生保障项目". A
bundle declares the rule as a COLLECT decision table (bpmn/README.md, "Program matching"):
each matching rule gives a `program` (its name, e.g. 教育资助) and, optionally, a `basis`.
The service task `match_programs` runs the table once for every member of the household
(the rows of the case's `members`), seeing the member's fields, their `age` on the day, and the
household's other plain values; it records each (member, program) found on the case,
replacing what an earlier run of the same case found. The case page, the household page and
the district's list per program read those rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from engine.money import stats
from engine.people import orgs
from engine.store import audit
from engine.store.errors import Invalid, ModelError, NotFound
from engine.store.models import Case, OrgUnit, ProcedureVersion, ProgramMatch, User
from engine.time import calendar
from engine.workflow import procedures, spiff
from engine.workflow.expressions import HELPERS
from engine.workflow.operations import operation

MEMBERS = "members"  # the application's rows of household members


def _scalars(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if isinstance(v, str | int | float | bool) or v is None}


def _member_fields(version: ProcedureVersion) -> tuple[str, ...]:
    """The fields of the start form's member rows: each is given, None where left empty."""
    try:
        form = procedures.form_of(version, version.start_form)
    except NotFound:
        return ()
    rows = next((f for f in form.fields if f.name == MEMBERS and f.fields), None)
    return tuple(f.name for f in rows.fields) if rows else ()


def evaluate(model, decision: str, members: list[dict[str, Any]], household: dict[str, Any],
             fields: tuple[str, ...], today: str) -> list[tuple[dict[str, Any], str, str]]:
    """(member, program, basis) for every rule of the COLLECT table each member matches, once
    per member and program."""
    engine = model.decisions.get(decision)
    if engine is None:
        raise ModelError(f"流程包中没有决策表 {decision}")
    table = engine.decision_table
    if table.hit_policy != "COLLECT" or "program" not in [o.name for o in table.outputs]:
        raise ModelError(f"决策表 {decision} 应为 COLLECT 命中策略，并有输出 program")
    found: list[tuple[dict[str, Any], str, str]] = []
    for member in members:
        birth = member.get("birth_date")
        age = HELPERS["age_on"](birth, today) if isinstance(birth, str) and birth else None
        facts = {**_scalars(household), **dict.fromkeys(fields), **_scalars(member), "age": age}
        result = spiff.decide(model, [decision], facts)
        programs = result.get("program") if isinstance(result.get("program"), list) else []
        bases = result.get("basis") if isinstance(result.get("basis"), list) else []
        seen: set[str] = set()
        for i, program in enumerate(programs):
            if isinstance(program, str) and program and program not in seen:
                seen.add(program)
                basis = bases[i] if i < len(bases) and isinstance(bases[i], str) else ""
                found.append((member, program, basis))
    return found


@operation("match_programs", with_data=True)
def match_programs(db: Session, case: Case, now: datetime, decision: Any,
                   data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Service task: run the COLLECT table `decision` for each member and record the matches."""
    if not isinstance(decision, str) or not decision.strip():
        raise ValueError(f"decision 应为决策表编号，实际为 {decision!r}")
    data = data or {}
    members = [m for m in data.get(MEMBERS) or [] if isinstance(m, dict)]
    version = db.get(ProcedureVersion, case.procedure_version_id)
    found = evaluate(procedures.model_of(version), decision.strip(), members, data,
                     _member_fields(version), calendar.local_date(now).isoformat())
    db.execute(delete(ProgramMatch).where(ProgramMatch.case_id == case.id))
    for member, program, basis in found:
        db.add(ProgramMatch(case_id=case.id, household_id=case.household_id, program=program[:100],
                            basis=basis[:200], member_name=str(member.get("name") or "")[:100],
                            member_id_number=str(member.get("id_number") or "")[:18].upper(),
                            decision=decision.strip(), matched_at=now))
    names = sorted({p for _m, p, _b in found})
    audit.record(db, now, None, "programs.matched", case=case,
                 comment=f"匹配保障项目：{'、'.join(names) if names else '无'}")
    return {"programs": names, "matches": len(found)}


def for_case(db: Session, case_id: int) -> list[ProgramMatch]:
    """The matches recorded on a case the caller has already been allowed to see."""
    return list(db.scalars(select(ProgramMatch).where(ProgramMatch.case_id == case_id)
                           .order_by(ProgramMatch.program, ProgramMatch.id)))


def for_household(db: Session, household_id: int) -> list[ProgramMatch]:
    """The matches of the household's newest case that has any."""
    newest = db.scalar(select(ProgramMatch.case_id).where(
        ProgramMatch.household_id == household_id).order_by(ProgramMatch.case_id.desc()).limit(1))
    return [] if newest is None else for_case(db, newest)


@dataclass(frozen=True)
class Listed:
    program: str
    village: str
    head_name: str
    member_name: str
    id_number_masked: str
    basis: str
    case_id: int


def mask(id_number: str) -> str:
    """An ID number as lists show it: the first 6 and last 4 characters."""
    return id_number[:6] + "*" * 8 + id_number[-4:] if len(id_number) == 18 else "*" * 4


def district_list(db: Session, actor: User, region_code: str | None = None,
                  now: datetime | None = None) -> tuple[OrgUnit, dict[str, list[Listed]]]:
    """For each program, the members of enrolled households (benefit in force today) of the
    region who qualify, by village: the list a district hands to each program's bureau."""
    from engine.time import clock

    today = calendar.local_date(now or clock.now())
    region = actor.org
    if region_code:
        try:
            region = orgs.by_code(db, region_code)
        except NotFound:
            raise Invalid({"region": [f"机构代码 {region_code} 不存在"]}) from None
    stats.check_viewer(actor, region)
    holders = [b.case_id for b in stats.in_force(db, region, today)]
    found: dict[str, list[Listed]] = {}
    for i in range(0, len(holders), 500):
        rows = db.execute(select(ProgramMatch, Case).join(Case, Case.id == ProgramMatch.case_id)
                          .options(joinedload(Case.village))
                          .where(ProgramMatch.case_id.in_(holders[i:i + 500])))
        for match, case in rows:
            found.setdefault(match.program, []).append(Listed(
                match.program, case.village.name, case.applicant_name, match.member_name,
                mask(match.member_id_number), match.basis, case.id))
    return region, {p: sorted(v, key=lambda x: (x.village, x.case_id, x.member_name))
                    for p, v in sorted(found.items())}
