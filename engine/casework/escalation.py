"""The worker's reminders: new-task, due-tomorrow and overdue notices, and 督办 upward.

Each kind is sent once per task: a timestamp on the task row records it, claimed under
FOR UPDATE SKIP LOCKED on PostgreSQL so that several workers never send one twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from engine.store import audit
from engine.store.models import LEVEL_NAMES, Case, HumanTask, Notification, OrgUnit
from engine.store.uow import unit_of_work
from engine.time import clock

BATCH = 500


@dataclass
class EscalationResult:
    announced: int = 0
    reminded: int = 0
    escalated: int = 0


def _claim(db: Session, query) -> list[HumanTask]:
    query = query.options(joinedload(HumanTask.case)).order_by(HumanTask.id).limit(BATCH)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=HumanTask)
    return list(db.scalars(query).unique())


def _notify(db: Session, task: HumanTask, kind: str, message: str, now: datetime,
            org: OrgUnit | None = None, level: str | None = None) -> None:
    db.add(Notification(org_id=(org or task.org).id, level=level or task.level, kind=kind,
                        case_id=task.case_id, task_id=task.id, message=message, created_at=now))


def _label(task: HumanTask) -> str:
    case: Case = task.case
    return f"{case.applicant_name}户（{task.name}）"


def announce_new(db: Session, now: datetime) -> int:
    with unit_of_work(db):
        tasks = _claim(db, select(HumanTask).where(HumanTask.announced_at.is_(None),
                                                   HumanTask.completed_at.is_(None)))
        for task in tasks:
            task.announced_at = now
            _notify(db, task, "new_task", f"新待办：{_label(task)}", now)
    return len(tasks)


def remind_due(db: Session, now: datetime) -> int:
    with unit_of_work(db):
        tasks = _claim(db, select(HumanTask).where(
            HumanTask.completed_at.is_(None), HumanTask.reminded_at.is_(None),
            HumanTask.due_at >= now, HumanTask.due_at < now + timedelta(days=1)))
        for task in tasks:
            task.reminded_at = now
            _notify(db, task, "due_soon", f"明天到期：{_label(task)}", now)
    return len(tasks)


def escalate_overdue(db: Session, now: datetime) -> int:
    """Overdue steps: tell the org, and send a supervision notice (督办) to the level above."""
    with unit_of_work(db):
        tasks = _claim(db, select(HumanTask).where(
            HumanTask.completed_at.is_(None), HumanTask.escalated_at.is_(None),
            HumanTask.due_at < now))
        parents = {o.id: o for o in db.scalars(select(OrgUnit).where(OrgUnit.id.in_(
            {t.org.parent_id for t in tasks if t.org.parent_id})))}
        for task in tasks:
            task.escalated_at = now
            _notify(db, task, "overdue", f"已逾期：{_label(task)}", now)
            above = parents.get(task.org.parent_id)
            if above is not None and above.level in LEVEL_NAMES:
                _notify(db, task, "supervision",
                        f"督办：{task.org.name}办理的{_label(task)}已逾期", now,
                        org=above, level=above.level)
            audit.record(db, now, None, "task.escalated", case=task.case, task=task,
                         comment=f"{task.name}已逾期，已向上级督办")
    return len(tasks)


def run_pass(db: Session, now: datetime | None = None) -> EscalationResult:
    now = now or clock.now()
    return EscalationResult(announce_new(db, now), remind_due(db, now), escalate_overdue(db, now))
