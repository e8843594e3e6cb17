"""Reads the officials' web workspace needs beyond the API's: signed-in user, villages to pick,
inbox totals for paging, and the BPMN source of a case's procedure version for its diagram.

Kept apart from cases.py and tasks.py so that pages can grow without touching the write paths.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from engine.casework import cases
from engine.casework.tasks import inbox_query
from engine.people import scope
from engine.store.errors import NotFound
from engine.store.models import Case, OrgUnit, User


def active_user(db: Session, user_id: int) -> User | None:
    """The user a browser session names, or None when gone or deactivated (forces sign-in)."""
    user = db.get(User, user_id)
    if user is None or not user.active:
        return None
    return user


def villages_under(db: Session, org: OrgUnit) -> list[OrgUnit]:
    """Villages at or below `org`, by code: the choices for filters and for intake."""
    query = select(OrgUnit).where(OrgUnit.level == "village")
    if org.path != "/":
        query = query.where(OrgUnit.path.startswith(org.path, autoescape=True))
    return list(db.scalars(query.order_by(OrgUnit.code)))


def intake_villages(db: Session, actor: User) -> list[OrgUnit]:
    """Villages the actor may open a case in: their own village, or their township's."""
    if actor.role == "village":
        return [actor.org] if actor.org.level == "village" else []
    return [v for v in villages_under(db, actor.org) if scope.can_start_case_in(actor, v)]


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
