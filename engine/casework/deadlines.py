"""Due dates that could not be computed when a step opened, set once the calendar covers them.

A step opening in a year the working-day calendar does not cover yet gets no due date (and a
`deadline.unknown` entry on its case). When an administrator imports that year, every open
task and running case left without one gets its due date, counted from when it opened, with
a `deadline.set` entry on its case: the same dates they would have had with the calendar in
place.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, joinedload

from engine.casework import instances
from engine.store import audit
from engine.store.models import Case, HumanTask, User
from engine.store.uow import unit_of_work
from engine.time import calendar, clock
from engine.workflow import procedures


def import_calendar(db: Session, text: str, region_code: str | None = None,
                    actor: User | None = None) -> list[int]:
    """Import a calendar CSV (engine.time.calendar.load_csv) and date what waited for it, in
    one transaction. `actor` None is the command line (whoever runs it administers the
    machine)."""
    if actor is not None:
        calendar.require_manager(actor)
    with unit_of_work(db):
        years = calendar.load_csv(db, text, region_code)
        db.flush()
        backfill(db, clock.now(), actor)
    return years


def seed_calendar(db: Session, last_year: int | None = None) -> list[int]:
    """Seed the national years chinesecalendar knows (engine.time.calendar.seed_rows) and
    date what waited for them, in one transaction."""
    with unit_of_work(db):
        years = calendar.seed_rows(db, last_year)
        if years:
            db.flush()
            backfill(db, clock.now(), None)
    return years


def _text(due: datetime) -> str:
    last_day = calendar.local_date(due) - timedelta(days=1)  # due: the midnight ending it
    return f"工作日历已导入，办理期限确定为 {last_day:%Y-%m-%d}"


def backfill(db: Session, now: datetime, actor: User | None = None) -> int:
    """Set the missing due dates the calendar now allows, in the caller's transaction;
    returns how many tasks and cases got one."""
    return _date_tasks(db, now, actor) + _date_cases(db, now, actor)


def _date_tasks(db: Session, now: datetime, actor: User | None) -> int:
    count = 0
    tasks = db.scalars(
        select(HumanTask)
        .join(HumanTask.case)
        .options(contains_eager(HumanTask.case).joinedload(Case.procedure))
        .where(HumanTask.completed_at.is_(None), HumanTask.due_at.is_(None),
               Case.status == "running")
        .order_by(HumanTask.id)
    ).all()
    for task in tasks:
        step = procedures.model_of(task.case.procedure).steps.get(task.step)
        if step is None or not (step.due_working_days or step.due_days):
            continue  # a step without a limit: nothing was missing
        due, _ = instances.due_or_unknown(db, task.case, task.created_at, step.due_working_days,
                                          step.due_days)
        if due is not None:
            task.due_at = due
            audit.record(db, now, actor, "deadline.set", case=task.case, task=task,
                         comment=_text(due))
            count += 1
    return count


def _date_cases(db: Session, now: datetime, actor: User | None) -> int:
    count = 0
    cases = db.scalars(
        select(Case).options(joinedload(Case.procedure))
        .where(Case.status == "running", Case.due_at.is_(None)).order_by(Case.id)
    ).all()
    for case in cases:
        days = procedures.model_of(case.procedure).due_working_days
        due = instances.due_or_unknown(db, case, case.opened_at, days)[0] if days else None
        if due is not None:
            case.due_at = due
            audit.record(db, now, actor, "deadline.set", case=case, comment=_text(due))
            count += 1
    return count
