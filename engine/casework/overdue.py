"""Overdue steps for administrators and district officials: lists, counts and a trend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from engine.store.errors import Forbidden
from engine.store.models import Case, HumanTask, OrgUnit, User
from engine.time import calendar, clock

VIEWER_ROLES = ("admin", "district")


@dataclass
class OverdueTask:
    task: HumanTask
    working_days_overdue: int | None  # None where the calendar does not cover the span


def _require(actor: User) -> None:
    if actor.role not in VIEWER_ROLES:
        raise Forbidden("只有管理员和区级人员可以查看逾期情况")


def _scope(actor: User):
    return (select(HumanTask)
            .join(HumanTask.case)
            .options(contains_eager(HumanTask.case))
            .where(HumanTask.completed_at.is_(None),
                   Case.org_path.startswith(actor.org.path, autoescape=True)))


def working_days_late(due_at: datetime, now: datetime, regions: tuple[str, ...] = (),
                      db: Session | None = None) -> int | None:
    due_day = calendar.local_date(due_at - timedelta(seconds=1))
    try:
        return calendar.working_days_between(due_day, calendar.local_date(now), regions, db)
    except calendar.YearNotCovered:
        return None


def overdue(db: Session, actor: User, now: datetime | None = None, limit: int = 200,
            offset: int = 0) -> list[OverdueTask]:
    """Open tasks past due under the actor's org, oldest due first."""
    _require(actor)
    now = now or clock.now()
    tasks = db.scalars(_scope(actor).where(HumanTask.due_at < now)
                       .order_by(HumanTask.due_at, HumanTask.id).limit(limit).offset(offset))
    return [OverdueTask(t, working_days_late(t.due_at, now, tuple(
        c for c in t.case.org_path.split("/") if c), db)) for t in tasks]


@dataclass
class OverdueCount:
    level: str
    org: OrgUnit
    step: str
    name: str
    count: int
    oldest_due: datetime


def summary(db: Session, actor: User, now: datetime | None = None) -> list[OverdueCount]:
    """Counts per level, org and step, the group with the oldest overdue step first."""
    _require(actor)
    now = now or clock.now()
    rows = db.execute(
        select(HumanTask.level, HumanTask.org_id, HumanTask.step, HumanTask.name,
               func.count(), func.min(HumanTask.due_at))
        .join(Case, Case.id == HumanTask.case_id)
        .where(HumanTask.completed_at.is_(None), HumanTask.due_at < now,
               Case.org_path.startswith(actor.org.path, autoescape=True))
        .group_by(HumanTask.level, HumanTask.org_id, HumanTask.step, HumanTask.name)
        .order_by(func.min(HumanTask.due_at))
    ).all()
    orgs = {o.id: o for o in db.scalars(select(OrgUnit).where(
        OrgUnit.id.in_({r[1] for r in rows})))}
    return [OverdueCount(level, orgs[org_id], step, name, count, clock.as_utc(oldest))
            for level, org_id, step, name, count, oldest in rows]


def trend(db: Session, actor: User, days: int = 30,
          now: datetime | None = None) -> list[tuple[date, int]]:
    """How many steps stood overdue at the end of each of the last `days` days."""
    _require(actor)
    now = now or clock.now()
    start = now - timedelta(days=days)
    rows = db.execute(
        select(HumanTask.due_at, HumanTask.completed_at)
        .join(Case, Case.id == HumanTask.case_id)
        .where(HumanTask.due_at < now,
               (HumanTask.completed_at.is_(None)) | (HumanTask.completed_at > start),
               Case.org_path.startswith(actor.org.path, autoescape=True))
    ).all()
    out = []
    for i in range(days, -1, -1):
        moment = now - timedelta(days=i)
        count = sum(1 for due, done in rows
                    if clock.as_utc(due) < moment
                    and (done is None or clock.as_utc(done) > moment))
        out.append((calendar.local_date(moment), count))
    return out
