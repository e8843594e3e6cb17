"""A case's cross-check hits (区级比对): members indexed when a case opens, matched against the
bureaus' current lists, shown with the case, prefilled into the district cross-check step, and
explained in writing before a district official may approve.

Loading lists and matching them in bulk is engine.data.crosscheck's; this module holds what the
case's own journey needs, so that casework does not reach up into data/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from engine.money import benefits
from engine.store.errors import Invalid
from engine.store.models import (
    Case,
    CaseMember,
    CrosscheckHit,
    CrosscheckList,
    CrosscheckRow,
)

# Bureaus whose lists a district loads, by key; keys that name a field of the district
# cross-check form (district_crosscheck.yaml) prefill that field's verdict.
SOURCES: dict[str, str] = {
    "public_security": "公安（死亡、户籍迁移）",
    "human_resources": "人社（养老金、就业）",
    "real_estate": "不动产登记",
    "market_regulation": "市场监管（经营主体）",
    "vehicles": "车管（机动车）",
    "disability_federation": "残联（残疾人证）",
    "public_payroll": "财政供养人员",
    "civil_affairs": "民政",
    "poverty_office": "扶贫",
}


# Who loads bureau lists and follows up their hits, and who explains a case's hits.
IMPORTER_ROLES = ("district", "admin")
EXPLAINER_ROLES = ("district",)

ID_NUMBER = re.compile(r"\d{17}[\dX]")


def masked(number: str) -> str:
    """An ID number as lists and pages may show it: region and last four only."""
    return f"{number[:6]}********{number[-4:]}" if len(number) == 18 else "******"


def members_of(application: dict[str, Any]) -> list[dict[str, Any]]:
    """The members an application names, by ID number (the head too), each once, with its
    place among them (`seq`, the key of its row with the case)."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    rows = application.get("members")
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict):
            number = str(row.get("id_number") or "").strip().upper()
            if len(number) == 18 and number not in seen:
                seen.add(number)
                found.append({"seq": len(found), "id_number": number,
                              "name": str(row.get("name") or "")[:100],
                              "relation": str(row.get("relation") or "")[:16]})
    head = str(application.get("head_id_number") or "").strip().upper()
    if len(head) == 18 and head not in seen:
        found.append({"seq": len(found), "id_number": head,
                      "name": str(application.get("head_name") or "")[:100],
                      "relation": "self"})
    return found


def current_lists() -> Any:
    """Lists not replaced by a newer one of the same source and region."""
    return CrosscheckList.replaced_at.is_(None)


def match_select(now: datetime, list_id: Any, case_scope: Any, row_scope: Any = None) -> Select:
    """The hits a list's rows make on the cases in `case_scope`, as rows for an INSERT."""
    where = [CrosscheckRow.list_id == list_id, case_scope]
    if row_scope is not None:
        where.append(row_scope)
    return (select(CrosscheckRow.list_id, CrosscheckRow.id, Case.id, Case.household_id,
                   Case.status == "approved", CaseMember.name, CaseMember.id_number,
                   literal(now, CrosscheckHit.found_at.type))
            .select_from(CrosscheckRow)
            .join(CaseMember, CaseMember.id_number == CrosscheckRow.id_number)
            .join(Case, Case.id == CaseMember.case_id)
            .where(*where))


HIT_COLUMNS = ["list_id", "row_id", "case_id", "household_id", "enrolled", "member_name",
               "id_number", "found_at"]


def target_cases(region_path: str) -> Any:
    """The cases a region's list is matched against: running ones, and enrolled households'
    benefit cases."""
    return and_(Case.org_path.startswith(region_path, autoescape=True),
                or_(Case.status == "running",
                    Case.id.in_(benefits._active(region_path))))


def open_case(db: Session, case: Case, now: datetime) -> None:
    """Index a new case's members and match them against every current list of its region
    (in the caller's transaction): a case opened after a list was loaded is checked too."""
    members = members_of(case.application or {})
    if not members:
        return
    db.add_all(CaseMember(case_id=case.id, **m) for m in members)
    db.flush()
    lists = db.scalars(select(CrosscheckList.id).where(current_lists(), literal(
        case.org_path).startswith(CrosscheckList.region_path))).all()
    for list_id in lists:
        db.execute(CrosscheckHit.__table__.insert().from_select(
            HIT_COLUMNS, match_select(now, list_id, Case.id == case.id)))


@dataclass
class Hit:
    """A hit as the case's officials see it."""

    id: int
    source: str
    source_label: str
    member: str
    id_number: str
    finding: str
    as_of: date
    explanation: str | None
    explained_at: datetime | None
    case_id: int
    household_id: int | None

    @property
    def explained(self) -> bool:
        return bool(self.explanation)


def hit_query(*where: Any) -> Select:
    return (select(CrosscheckHit, CrosscheckList.source, CrosscheckRow.finding,
                   CrosscheckRow.as_of)
            .join(CrosscheckList, CrosscheckList.id == CrosscheckHit.list_id)
            .join(CrosscheckRow, CrosscheckRow.id == CrosscheckHit.row_id)
            .where(current_lists(), *where)
            .order_by(CrosscheckHit.id))


def as_hits(rows: Any) -> list[Hit]:
    return [Hit(h.id, source, SOURCES.get(source, source), h.member_name, h.id_number,
                finding, as_of, h.explanation, h.explained_at, h.case_id, h.household_id)
            for h, source, finding, as_of in rows]


def of_case(db: Session, case_id: int) -> list[Hit]:
    """The case's hits on current lists, oldest first."""
    return as_hits(db.execute(hit_query(CrosscheckHit.case_id == case_id)))


def of_household(db: Session, household_id: int) -> list[Hit]:
    """The hits on any case of a household, on current lists."""
    return as_hits(db.execute(hit_query(CrosscheckHit.household_id == household_id)))


def require_explained(db: Session, case: Case) -> None:
    """Refuse a district approval while a hit on the case has no written explanation."""
    missing = db.scalar(select(func.count()).select_from(CrosscheckHit)
                        .join(CrosscheckList, CrosscheckList.id == CrosscheckHit.list_id)
                        .where(current_lists(), CrosscheckHit.case_id == case.id,
                               or_(CrosscheckHit.explanation.is_(None),
                                   CrosscheckHit.explanation == "")))
    if missing:
        raise Invalid({"crosscheck": [
            f"该案件有 {missing} 条部门比对命中尚未说明，请逐条填写核实说明后再审批通过"]},
            "部门比对命中尚未说明")


VERDICT_HIT, VERDICT_CLEAR = "inconsistent", "consistent"


def prefill(db: Session, case: Case, field_names: set[str]) -> dict[str, Any]:
    """Initial values of the district cross-check step from the hits: a source with a hit is
    "不一致", a source whose current list covers the case without a hit is "一致", and the
    notes list each hit. Fields the form does not have are left out."""
    if not field_names & SOURCES.keys():  # not a cross-check step
        return {}
    hits = of_case(db, case.id)
    loaded = set(db.scalars(select(CrosscheckList.source).where(
        current_lists(), literal(case.org_path).startswith(CrosscheckList.region_path))))
    values: dict[str, Any] = {}
    for source in loaded & field_names:
        values[source] = VERDICT_CLEAR
    for hit in hits:
        if hit.source in field_names:
            values[hit.source] = VERDICT_HIT
    if hits and "notes" in field_names:
        values["notes"] = "\n".join(
            f"{h.source_label}：{h.member} {h.finding}（名单日期 {h.as_of.isoformat()}）"
            + (f"；说明：{h.explanation}" if h.explanation else "") for h in hits)
    return values

