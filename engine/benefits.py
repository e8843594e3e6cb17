"""Household top-ups (补差): recorded at approval, recalculated in bulk when a standard changes.

The top-up follows the national formula (民发〔2012〕220号 Art. 27): (standard − per-capita
income) × household members, per month, never negative, rounded to fen. A household whose
per-capita income is unknown is skipped and counted, not guessed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, calendar, clock
from .errors import Forbidden, NotFound
from .models import Benefit, Case, Job, User
from .operations import operation
from .sandbox import fen
from .uow import unit_of_work

BATCH = 200


def topup(standard_monthly: float, per_capita_income_yearly: float, size: int) -> float:
    return fen(max(0.0, standard_monthly - per_capita_income_yearly / 12) * size)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def on_approved(db: Session, case: Case, data: dict[str, Any], now: datetime) -> None:
    """The first benefit row of an approved household, from the procedure's `amount`."""
    amount = _number(data.get("amount"))
    if amount is None:
        return
    db.add(Benefit(case_id=case.id, monthly_amount=amount,
                   standard=_number(data.get("standard")),
                   per_capita_income=_number(data.get("per_capita_income")),
                   household_size=case.household_size, effective_from=calendar.local_date(now),
                   source="approval", created_at=now))


def _active(org_path: str):
    """Approved households under a region that have a benefit."""
    return select(Case.id).where(
        Case.status == "approved", Case.org_path.startswith(org_path, autoescape=True),
        Case.id.in_(select(Benefit.case_id)))


@operation("recalculate_topups")
def start_recalculation(db: Session, case: Case, now: datetime, standard: Any,
                        effective_from: Any = None) -> dict[str, Any]:
    """Service task: queue the recalculation of every active household of the case's region."""
    value = _number(standard)
    if value is None or value <= 0:
        raise ValueError(f"新标准应为正数，实际为 {standard!r}")
    region = case.org_path
    total = db.scalar(select(func.count()).select_from(_active(region).subquery()))
    job = Job(kind="recalculate_topups", org_path=region, case_id=case.id, total=total,
              params={"standard": value,
                      "effective_from": str(effective_from or calendar.local_date(now))},
              created_at=now)
    db.add(job)
    db.flush()
    audit.record(db, now, None, "job.created", case=case,
                 comment=f"按新标准 {value} 元/人·月重新核算 {total} 户补差")
    return {"job_id": job.id, "households": total}


def run_batch(db: Session, now: datetime | None = None) -> int:
    """Advance the oldest unfinished job by one batch; returns households handled."""
    now = now or clock.now()
    with unit_of_work(db):
        query = select(Job).where(Job.status.in_(("pending", "running"))).order_by(Job.id)
        if db.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job = db.scalars(query.limit(1)).first()
        if job is None:
            return 0
        ids = list(db.scalars(_active(job.org_path).where(Case.id > job.cursor)
                              .order_by(Case.id).limit(BATCH)))
        latest: dict[int, Benefit] = {}
        for benefit in db.scalars(select(Benefit).where(Benefit.case_id.in_(ids))
                                  .order_by(Benefit.id)):
            latest[benefit.case_id] = benefit
        standard = float(job.params["standard"])
        effective = date.fromisoformat(job.params["effective_from"])
        for case_id in ids:
            old = latest[case_id]
            if old.per_capita_income is None:
                job.skipped += 1
                continue
            db.add(Benefit(case_id=case_id, standard=standard,
                           per_capita_income=old.per_capita_income,
                           household_size=old.household_size,
                           monthly_amount=topup(standard, old.per_capita_income,
                                                old.household_size),
                           effective_from=effective, source=f"job:{job.id}", created_at=now))
            job.done += 1
        job.cursor = ids[-1] if ids else job.cursor
        job.status = "running" if len(ids) == BATCH else "done"
        if job.status == "done":
            job.finished_at = now
        return len(ids)


def run_jobs(db: Session, now: datetime | None = None, max_batches: int = 50) -> int:
    handled = 0
    for _ in range(max_batches):
        n = run_batch(db, now)
        if n == 0:
            break
        handled += n
    return handled


def job(db: Session, actor: User, job_id: int) -> Job:
    if actor.role not in ("district", "admin", "township"):
        raise Forbidden("无权查看该任务")
    found = db.get(Job, job_id)
    if found is None or not found.org_path.startswith(actor.org.path):
        raise NotFound("任务不存在")
    return found


def current(db: Session, case_id: int) -> Benefit | None:
    return db.scalars(select(Benefit).where(Benefit.case_id == case_id)
                      .order_by(Benefit.id.desc()).limit(1)).first()
