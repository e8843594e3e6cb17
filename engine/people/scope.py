"""Who may see and work what. Every read and write of a case or task asks here.

- Village, township and district officials (and clerks, and admins) see the cases of villages
  under their own org unit.
- Third-party assessors see only cases their org has been given a task in.
- A task may be worked by users of its org whose role works its level (its BPMN lane).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from engine.store.errors import Forbidden, NotFound
from engine.store.models import OFFICIAL_ROLES, Case, HumanTask, OrgUnit, User


def require_official(actor: User) -> None:
    if actor.role not in OFFICIAL_ROLES:
        raise Forbidden("只有经办人员可以查看案件")


def case_filter(actor: User) -> ColumnElement[bool]:
    """A WHERE clause on Case selecting what the actor may see."""
    require_official(actor)
    if actor.role == "assessor":
        return Case.id.in_(select(HumanTask.case_id).where(HumanTask.org_id == actor.org_id))
    if actor.org.path == "/":
        return true()
    return Case.org_path.startswith(actor.org.path, autoescape=True)


def visible_case(db: Session, actor: User, case_id: int, *options: Any) -> Case:
    """The case if the actor may see it; NotFound otherwise (never "forbidden": a case the
    actor may not see is one they may not know exists)."""
    case = db.scalar(select(Case).options(*options)
                     .where(Case.id == case_id, case_filter(actor)))
    if case is None:
        raise NotFound("案件不存在")
    return case


def can_work(actor: User, task: HumanTask) -> bool:
    return task.org_id == actor.org_id and task.level == actor.task_level


# Who takes in an application, and where (一门受理): the township's single window (clerk) for
# the villages of its township, a village official for their own village (代办); district
# officials and admins start region procedures (a standard adjustment) at a region they cover.
# POST /api/cases and the intake page both ask `can_start_case_in`; the page lists
# `intake_orgs`, which is that same test run over the actor's orgs.
VILLAGE_INTAKE_ROLES = ("clerk", "village")  # households, at villages
REGION_INTAKE_ROLES = ("district", "admin")  # region procedures, at regions
NOT_REGIONS = ("village", "assessor")


def can_start_case_in(actor: User, org: OrgUnit) -> bool:
    """Whether the actor may open a case at `org` (the one rule of who takes in where)."""
    if actor.role == "village":
        return org.id == actor.org_id and org.level == "village"
    if actor.role == "clerk":
        return org.level == "village" and actor.org.covers(org)
    if actor.role in REGION_INTAKE_ROLES:
        return org.level not in NOT_REGIONS and actor.org.covers(org)
    return False


def can_start_region_procedure_in(actor: User, org: OrgUnit) -> bool:
    """Whether the actor may open a region's procedure (one that sets the standard or
    recalculates every household's top-up) at `org`: a district official or an admin, at a
    region they cover, never at a village."""
    return actor.role in REGION_INTAKE_ROLES and can_start_case_in(actor, org)


def takes_in(actor: User) -> bool:
    """Whether the actor's role takes in applications at all (the intake page's link)."""
    return actor.role in VILLAGE_INTAKE_ROLES + REGION_INTAKE_ROLES


def intake_orgs(db: Session, actor: User) -> list[OrgUnit]:
    """The orgs the actor may open a case at, by code: the intake page's choices."""
    if not takes_in(actor):
        return []
    query = select(OrgUnit)
    if actor.org.path != "/":
        query = query.where(OrgUnit.path.startswith(actor.org.path, autoescape=True))
    if actor.role in VILLAGE_INTAKE_ROLES:
        query = query.where(OrgUnit.level == "village")
    else:
        query = query.where(OrgUnit.level.not_in(NOT_REGIONS))
    return [o for o in db.scalars(query.order_by(OrgUnit.code)) if can_start_case_in(actor, o)]
