"""Reads the officials' web workspace needs beyond the API's: signed-in user, villages to pick,
inbox totals for paging, and the BPMN source of a case's procedure version for its diagram.

Kept apart from cases.py and tasks.py so that pages can grow without touching the write paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, literal, null, select, union_all
from sqlalchemy.orm import Session, aliased

from engine.casework import cases, hits, jobs, notifications, objections, overdue, timers
from engine.casework.tasks import inbox_query
from engine.money import stats
from engine.people import scope
from engine.store import cache as row_cache
from engine.store.errors import NotFound
from engine.store.models import OFFICIAL_ROLES, Case, HumanTask, OrgUnit, User
from engine.time import calendar
from engine.workflow import designer


def active_user(db: Session, user_id: int) -> User | None:
    """The user a browser session names, or None when gone or deactivated (forces sign-in)."""
    user = db.get(User, user_id)
    if user is None or not user.active:
        return None
    return user


class Village(NamedTuple):
    code: str
    name: str


def villages_under(db: Session, org: OrgUnit) -> tuple[Village, ...]:
    """Villages at or below `org`, by code: the choices for the lists' filters. Plain tuples,
    as a district has a thousand of them, kept in the process's org cache (engine.store.cache:
    any change to org units is seen by the next request), so the same tuple comes back while
    the orgs stay as they are."""
    return row_cache.lookup(db, "villages", org.path, lambda: _villages_under(db, org.path))


def _villages_under(db: Session, path: str) -> tuple[Village, ...]:
    query = select(OrgUnit.code, OrgUnit.name).where(OrgUnit.level == "village")
    if path != "/":
        query = query.where(OrgUnit.path.startswith(path, autoescape=True))
    return tuple(Village(code, name) for code, name in db.execute(query.order_by(OrgUnit.code)))


INBOX_CAP = 1000  # counts stop here: a big inbox shows "999+", never reads every row
# In index order (ix_human_task_inbox), so that a capped count is an index scan that stops
# at the cap (unordered, PostgreSQL reads the whole inbox into a bitmap first).
INBOX_ORDER = (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)


@dataclass
class CaseLabel:
    """What an inbox row shows of its case (only for cases the official may see)."""

    applicant_name: str
    household_size: int
    village_name: str


@dataclass
class InboxCounts:
    """Per-step chips {step: (name, open, overdue)} and the filtered total for paging; both
    counted over at most `cap` rows, and `steps_capped`/`total_capped` say they stopped.
    `unread` is the navigation's notification badge, counted in the same statement."""

    steps: dict[str, tuple[str, int, int]]
    total: int
    cap: int
    steps_capped: bool
    total_capped: bool
    unread: int


def inbox_rows(db: Session, actor: User, limit: int, offset: int, village: str | None = None,
               **filters) -> list[tuple[HumanTask, CaseLabel | None]]:
    """One page of the inbox with each row's case label, in one statement (ordered by
    ix_human_task_inbox)."""
    scope.require_official(actor)
    town = aliased(OrgUnit)
    query = (inbox_query(actor, **filters)
             .add_columns(Case.applicant_name, Case.household_size, town.name, town.code)
             .outerjoin(Case, (Case.id == HumanTask.case_id) & scope.case_filter(actor))
             .outerjoin(town, town.id == Case.village_id))
    if village:
        query = query.where(town.code == village)
    rows = db.execute(query.order_by(*INBOX_ORDER).limit(min(limit, 500)).offset(offset))
    return [(task, CaseLabel(name, size, village_name) if village_name is not None else None)
            for task, name, size, village_name, _ in rows]


def inbox_counts(db: Session, actor: User, now: datetime, offset: int = 0,
                 village: str | None = None, **filters) -> InboxCounts:
    """The chips of the whole inbox, the filtered total and the unread notifications, in one
    statement; chips and total each over at most INBOX_CAP rows (the total over `offset`
    more, so that paging still knows a next page)."""
    scope.require_official(actor)
    every = (inbox_query(actor, now=now)
             .with_only_columns(HumanTask.step, HumanTask.name, HumanTask.due_at)
             .order_by(*INBOX_ORDER).limit(INBOX_CAP).subquery())
    cap = offset + INBOX_CAP
    filtered = inbox_query(actor, now=now, village=village, **filters) \
        .with_only_columns(HumanTask.id).order_by(*INBOX_ORDER).limit(cap).subquery()
    per_step = select(literal("step"), every.c.step, every.c.name, func.count(),
                      func.count().filter(every.c.due_at < now)) \
        .group_by(every.c.step, every.c.name)
    total = select(literal("total"), null(), null(), func.count(), literal(0)) \
        .select_from(filtered)
    unread = select(literal("unread"), null(), null(), func.count(), literal(0)) \
        .select_from(notifications.unread_query(actor).subquery())
    found: dict[str, int] = {}
    # a step's chip names each name its open tasks carry (by their own case's procedure
    # version, so a renamed step reads "新名 / 旧名"), with the counts summed
    names: dict[str, set[str]] = {}
    counts: dict[str, tuple[int, int]] = {}
    for kind, step, name, count, late in db.execute(union_all(per_step, total, unread)):
        if kind == "step":
            names.setdefault(step, set()).add(name)
            before = counts.get(step, (0, 0))
            counts[step] = (before[0] + count, before[1] + late)
        else:
            found[kind] = count
    steps = {step: (" / ".join(sorted(names[step])), *counts[step]) for step in counts}
    counted = sum(count for _, count, _ in steps.values())
    return InboxCounts(steps, found["total"], cap, counted >= INBOX_CAP, found["total"] >= cap,
                       found["unread"])


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
