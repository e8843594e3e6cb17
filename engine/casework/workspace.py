"""Reads the officials' web workspace needs beyond the API's: signed-in user, villages to pick,
inbox totals for paging, and the BPMN source of a case's procedure version for its diagram.

Kept apart from cases.py and tasks.py so that pages can grow without touching the write paths.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from engine.casework import cases, hits, jobs, objections, overdue, timers
from engine.casework.tasks import inbox_query
from engine.money import stats
from engine.people import scope
from engine.store.errors import NotFound
from engine.store.models import OFFICIAL_ROLES, Case, OrgUnit, User
from engine.time import calendar
from engine.workflow import designer


def active_user(db: Session, user_id: int) -> User | None:
    """The user a browser session names, or None when gone or deactivated (forces sign-in)."""
    user = db.get(User, user_id)
    if user is None or not user.active:
        return None
    return user


def villages_under(db: Session, org: OrgUnit) -> list[OrgUnit]:
    """Villages at or below `org`, by code: the choices for the case list's filter."""
    query = select(OrgUnit).where(OrgUnit.level == "village")
    if org.path != "/":
        query = query.where(OrgUnit.path.startswith(org.path, autoescape=True))
    return list(db.scalars(query.order_by(OrgUnit.code)))


def inbox_total(db: Session, actor: User, **filters) -> int:
    """How many open tasks the inbox holds under these filters (for paging)."""
    scope.require_official(actor)
    query = inbox_query(actor, **filters).subquery()
    return int(db.scalar(select(func.count()).select_from(query)) or 0)


def cases_by_id(db: Session, actor: User, ids: set[int]) -> dict[int, Case]:
    """The visible cases among `ids` with their villages, for labelling inbox rows."""
    if not ids:
        return {}
    rows = db.scalars(
        select(Case).options(joinedload(Case.village))
        .where(Case.id.in_(ids), scope.case_filter(actor))
    )
    return {c.id: c for c in rows}


def case_bpmn(db: Session, actor: User, case_id: int) -> str:
    """The BPMN XML of the file that defines the case's process, as deployed with its version."""
    case = cases.visible(db, actor, case_id)
    version = case.procedure
    sources: dict[str, str] = version.bpmn or {}
    marker = f'id="{version.key}"'
    for text in sources.values():
        if marker in text:
            return text
    if len(sources) == 1:
        return next(iter(sources.values()))
    raise NotFound("流程图不存在")


@dataclass(frozen=True)
class Powers:
    """Which parts of the workspace an official's navigation offers. Each flag is read from
    the rule the engine itself enforces there, so a link shows exactly when its page admits."""

    inbox: bool  # works steps of some level (a BPMN lane)
    intake: bool  # takes in applications (scope.takes_in)
    intake_first: bool  # takes in households: intake is where their work starts
    cases: bool
    procedures_only: bool  # designs procedures and is no official
    designer: bool
    overdue: bool
    calendar: bool
    jobs: bool
    stats: bool
    health: bool
    reply_objections: bool
    crosscheck: bool  # loads bureau lists and follows up hits (区级比对)
    explain_hits: bool  # explains a case's cross-check hits


def powers(actor: User) -> Powers:
    """The actor's powers, as the navigation and the case page ask for them."""
    official = actor.role in OFFICIAL_ROLES
    designs = actor.role in designer.DESIGNER_ROLES
    return Powers(
        inbox=actor.task_level is not None, intake=scope.takes_in(actor),
        intake_first=actor.role in scope.VILLAGE_INTAKE_ROLES, cases=official,
        procedures_only=designs and not official, designer=designs,
        overdue=actor.role in overdue.VIEWER_ROLES, calendar=actor.role in calendar.MANAGER_ROLES,
        jobs=actor.role in jobs.VIEWER_ROLES, stats=actor.role in stats.VIEWER_ROLES,
        health=actor.role in timers.VIEWER_ROLES,
        reply_objections=actor.role in objections.REPLY_ROLES,
        crosscheck=actor.role in hits.IMPORTER_ROLES,
        explain_hits=actor.role in hits.EXPLAINER_ROLES)
