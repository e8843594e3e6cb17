"""Households (困难家庭) and their history: dynamic management (动态管理).

A household is known in a region by its head's ID number (户主身份证号码). Every case started
with an application naming that head is linked to the same household row, whatever the
procedure: identification (识别认定), yearly review (年度复核), exit (退出), and a later
re-entry (返贫再认定). While a household has a running case, no second case is opened for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, joinedload

from engine.people import scope
from engine.store.errors import Conflict, NotFound
from engine.store.models import (
    Benefit,
    Case,
    CaseMember,
    Household,
    OrgUnit,
    ProcedureVersion,
    User,
)
from engine.workflow import procedures

# The application field that names a household (by its head's ID number). Every case whose
# application has it is linked to the household; an exit cannot be started without it.
HEAD_FIELD = procedures.HEAD_FIELD
ID_NUMBER = re.compile(r"\d{17}[\dX]")


class RunningCase(Conflict):
    """The household already has a running case: `case_id` names it (a page links to it
    when the official may see it)."""

    def __init__(self, case_id: int):
        super().__init__(f"该户已有正在办理的案件（案件编号 {case_id}），办结前不能重复受理")
        self.case_id = case_id


def link(db: Session, case: Case, version: ProcedureVersion, village: OrgUnit,
         application: dict[str, Any], now: datetime) -> Household | None:
    """Find or create the household of an application's head and link the case to it.

    One query: the household and whether it has a running case. A running case refuses the
    new one (`Conflict`). Applications without `head_id_number` (e.g. a standard adjustment)
    belong to no household.
    """
    head = str(application.get(HEAD_FIELD) or "").strip().upper()
    if not head:
        return None
    region = version.region.path
    running = (select(Case.id).where(Case.household_id == Household.id,
                                     Case.status == "running")
               .order_by(Case.id).limit(1).scalar_subquery())
    row = db.execute(select(Household, running).where(
        Household.region_path == region, Household.head_id_number == head)).first()
    if row is None:
        household = Household(region_path=region, org_path=village.path, head_id_number=head,
                              head_name=str(application.get("head_name", ""))[:100],
                              created_at=now)
        db.add(household)
        db.flush()
    else:
        household, running_id = row
        if running_id is not None:
            raise RunningCase(running_id)
        household.org_path = village.path
        household.head_name = str(application.get("head_name", household.head_name))[:100]
    case.household_id = household.id
    return household


def _visible(db: Session, actor: User, household_id: int) -> Household:
    found = db.scalar(select(Household).where(
        Household.id == household_id,
        exists(select(Case.id).where(Case.household_id == Household.id,
                                     scope.case_filter(actor)))))
    if found is None:
        raise NotFound("家庭不存在")
    return found


def history(db: Session, actor: User, household_id: int) -> tuple[Household, list[Case]]:
    """The household and every case of it the actor may see, oldest first."""
    household = _visible(db, actor, household_id)
    found = db.scalars(
        select(Case).options(joinedload(Case.procedure), joinedload(Case.village))
        .where(Case.household_id == household.id, scope.case_filter(actor))
        .order_by(Case.opened_at, Case.id)).all()
    return household, list(found)


def search(db: Session, actor: User, q: str | None, limit: int = 50) -> list[Household]:
    """Households with a case the actor may see, by a member's full ID number or part of a
    name. Like the case search, an ID number matches whole only: a few digits must not list
    every household whose number happens to hold them."""
    query = select(Household).where(exists(select(Case.id).where(
        Case.household_id == Household.id, scope.case_filter(actor))))
    if q and q.strip():
        text = q.strip().upper()
        like = f"%{q.strip()}%"
        members = select(Case.household_id).join(CaseMember, CaseMember.case_id == Case.id)
        if ID_NUMBER.fullmatch(text):  # any member's full ID number, exactly
            query = query.where(or_(Household.head_id_number == text, Household.id.in_(
                members.where(CaseMember.id_number == text))))
        else:
            query = query.where(or_(Household.head_name.like(like),
                                    Household.id.in_(members.where(CaseMember.name.like(like)))))
    return list(db.scalars(query.order_by(Household.id.desc()).limit(min(limit, 200))))


def benefit_case_id(db: Session, household_id: int) -> int | None:
    """The approved case that carries the household's benefit rows (its newest such case)."""
    return db.scalar(select(Case.id).where(
        Case.household_id == household_id, Case.status == "approved",
        Case.id.in_(select(Benefit.case_id))).order_by(Case.id.desc()).limit(1))


def rows_in_force(db: Session, on: date | None = None, region_path: str | None = None,
                  household_id: int | None = None) -> dict[int | str, Benefit]:
    """The one definition of the benefit "in force", per household (a case without a
    household stands for itself, as "case:<id>"): the most recently recorded row of the
    household's newest approved case that has rows. With a day `on` (statistics of a month),
    only rows that took effect by then count: a back-dated recalculation from its date, a row
    dated ahead not yet. Without one (the work of today), every recorded row counts. An exit's
    0 row, once recorded, is what is in force (`ended`), whatever the dates of the rows before
    it (a recalculation dated ahead does not outlive the exit)."""
    latest: dict[int | str, Benefit] = {}
    for household, row in db.execute(in_force_query(
            (Case.household_id, Benefit), on, region_path, household_id)):
        latest[household if household is not None else f"case:{row.case_id}"] = row
    return latest


def in_force_query(columns: tuple, on: date | None = None, region_path: str | None = None,
                   household_id: int | None = None):
    """`columns` of every benefit row that counts towards `rows_in_force`, in the order that
    makes the last row per household the one in force (by case, then as recorded). For
    callers that fold it themselves (the payroll reads two days in one pass)."""
    query = (select(*columns).select_from(Benefit).join(Case, Case.id == Benefit.case_id)
             .where(Case.status == "approved")
             .order_by(Benefit.case_id, Benefit.id))
    if on is not None:
        query = query.where(Benefit.effective_from <= on)
    if region_path is not None:
        query = query.where(Case.org_path.startswith(region_path, autoescape=True))
    if household_id is not None:
        query = query.where(Case.household_id == household_id)
    return query


def ended(row: Benefit | None) -> bool:
    """Whether the row in force is the 0 row of an exit (the benefit has stopped)."""
    return row is not None and row.exit_case_id is not None


def latest_benefit(db: Session, case_id: int) -> Benefit | None:
    """The newest benefit row held by an approved case (an exit's 0 row once it has ended)."""
    return db.scalars(select(Benefit).where(Benefit.case_id == case_id)
                      .order_by(Benefit.id.desc()).limit(1)).first()


def latest_benefits(db: Session, case_ids: Sequence[int]) -> dict[int, Benefit]:
    """`latest_benefit` of each of these cases (for ledgers), in one query."""
    if not case_ids:
        return {}
    newest: dict[int, Benefit] = {}
    for row in db.scalars(select(Benefit).where(Benefit.case_id.in_(case_ids))
                          .order_by(Benefit.id)):
        newest[row.case_id] = row
    return newest


def current_benefit(db: Session, household_id: int, on: date | None = None) -> Benefit | None:
    """The household's benefit row in force (`rows_in_force`), an exit's 0 row once the
    benefit has ended; None when it has none."""
    return rows_in_force(db, on, household_id=household_id).get(household_id)


def status_of(cases: list[Case], current_amount: Decimal | None) -> str:
    """A plain summary for lists: running / active / exited / none."""
    if any(c.status == "running" for c in cases):
        return "running"
    if current_amount is not None and current_amount > 0:
        return "active"
    if any(c.status == "exited" for c in cases):
        return "exited"
    return "none"


@dataclass
class Summary:
    household: Household
    cases: list[Case]  # those the actor may see, oldest first
    benefit: Benefit | None  # the row in force: an exit's 0 row once the benefit has ended
    status: str  # running / active / exited / none

    @property
    def ended(self) -> bool:
        return ended(self.benefit)


def summary(db: Session, actor: User, household_id: int) -> Summary:
    """A household's page: its cases, its benefit in force, and a plain status."""
    household, found = history(db, actor, household_id)
    benefit = current_benefit(db, household.id)
    amount = benefit.monthly_amount if benefit is not None else None
    return Summary(household, found, benefit, status_of(found, amount))
