"""Households (困难家庭) and their history: dynamic management (动态管理).

A household is known in a region by its head's ID number (户主身份证号码). Every case started
with an application naming that head is linked to the same household row, whatever the
procedure: identification (识别认定), yearly review (年度复核), exit (退出), and a later
re-entry (返贫再认定). While a household has a running case, no second case is opened for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, joinedload

from engine.people import scope
from engine.store.errors import Conflict, NotFound
from engine.store.models import Benefit, Case, Household, OrgUnit, ProcedureVersion, User
from engine.workflow import procedures

# The application field that names a household (by its head's ID number). Every case whose
# application has it is linked to the household; an exit cannot be started without it.
HEAD_FIELD = procedures.HEAD_FIELD


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
            raise Conflict(f"该户已有正在办理的案件（案件编号 {running_id}），"
                           "办结前不能重复受理")
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
    """Households with a case the actor may see, by head name or ID number (part of it)."""
    query = select(Household).where(exists(select(Case.id).where(
        Case.household_id == Household.id, scope.case_filter(actor))))
    if q and q.strip():
        like = f"%{q.strip()}%"
        query = query.where(or_(Household.head_name.like(like),
                                Household.head_id_number.like(like.upper())))
    return list(db.scalars(query.order_by(Household.id.desc()).limit(min(limit, 200))))


def benefit_case_id(db: Session, household_id: int) -> int | None:
    """The approved case that carries the household's benefit rows (its newest such case)."""
    return db.scalar(select(Case.id).where(
        Case.household_id == household_id, Case.status == "approved",
        Case.id.in_(select(Benefit.case_id))).order_by(Case.id.desc()).limit(1))


def latest_benefit(db: Session, case_id: int) -> Benefit | None:
    """The newest benefit row held by an approved case (an exit's 0 row once it has ended)."""
    return db.scalars(select(Benefit).where(Benefit.case_id == case_id)
                      .order_by(Benefit.id.desc()).limit(1)).first()


def current_benefit(db: Session, household_id: int) -> Benefit | None:
    """The household's newest benefit row, on the approved case that carries it."""
    holder = benefit_case_id(db, household_id)
    return None if holder is None else latest_benefit(db, holder)


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
        return self.benefit is not None and self.benefit.exit_case_id is not None


def summary(db: Session, actor: User, household_id: int) -> Summary:
    """A household's page: its cases, its benefit now, and a plain status."""
    household, found = history(db, actor, household_id)
    benefit = current_benefit(db, household.id)
    amount = benefit.monthly_amount if benefit is not None else None
    return Summary(household, found, benefit, status_of(found, amount))
