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
    """Approved households under a region that have a benefit not ended by an exit."""
    return select(Case.id).where(
        Case.status == "approved", Case.org_path.startswith(org_path, autoescape=True),
        Case.id.in_(select(Benefit.case_id)),
        Case.id.not_in(select(Benefit.case_id).where(Benefit.source.like("exit:%"))))


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
        query = (select(Job).where(Job.status.in_(("pending", "running")),
                                   Job.kind == "recalculate_topups").order_by(Job.id))
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


def drain(run_batch_fn, db: Session, now: datetime | None = None, max_batches: int = 50) -> int:
    """The worker's share of a kind of job: batches until none is left or the pass is full."""
    handled = 0
    for _ in range(max_batches):
        n = run_batch_fn(db, now)
        if n == 0:
            break
        handled += n
    return handled


def run_jobs(db: Session, now: datetime | None = None, max_batches: int = 50) -> int:
    return drain(run_batch, db, now, max_batches)


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


# ---------------------------------------------------------------- dynamic management (动态管理)
# A household's benefit rows stay on the case that first approved it; a yearly review or an
# exit appends to that case's rows, so that current() and the recalculation stay meaningful.


def _household_benefit(db: Session, case: Case) -> Benefit | None:
    """The current benefit of the household of `case` (held by its approved case)."""
    from .households import benefit_case_id

    if case.household_id is None:
        return None
    holder = benefit_case_id(db, case.household_id)
    return current(db, holder) if holder is not None else None


@operation("end_benefit")
def end_benefit(db: Session, case: Case, now: datetime) -> dict[str, Any]:
    """Service task: the household exits, its benefit ends (a 0 row, source "exit:<case>")."""
    old = _household_benefit(db, case)
    if old is None or old.source.startswith("exit:"):
        return {"ended": False}
    db.add(Benefit(case_id=old.case_id, monthly_amount=0.0, standard=old.standard,
                   per_capita_income=old.per_capita_income, household_size=old.household_size,
                   effective_from=calendar.local_date(now), source=f"exit:{case.id}",
                   created_at=now))
    audit.record(db, now, None, "benefit.ended", case=case,
                 comment=f"家庭退出，案件 {old.case_id} 的补差自 {calendar.local_date(now)} 停发")
    return {"ended": True, "benefit_case_id": old.case_id}


@operation("adjust_benefit")
def adjust_benefit(db: Session, case: Case, now: datetime, amount: Any,
                   per_capita_income: Any = None) -> dict[str, Any]:
    """Service task: the yearly review adjusts the household's monthly top-up."""
    value = _number(amount)
    if value is None or value < 0:
        raise ValueError(f"调整后的月补差金额应为非负数，实际为 {amount!r}")
    old = _household_benefit(db, case)
    if old is None or old.source.startswith("exit:"):
        raise ValueError("该户没有在保的补差记录，无法调整")
    income = _number(per_capita_income)
    db.add(Benefit(case_id=old.case_id, monthly_amount=value, standard=old.standard,
                   per_capita_income=income if income is not None else old.per_capita_income,
                   household_size=case.household_size or old.household_size,
                   effective_from=calendar.local_date(now), source=f"review:{case.id}",
                   created_at=now))
    audit.record(db, now, None, "benefit.adjusted", case=case,
                 comment=f"年度复核调整补差：{old.monthly_amount} → {value} 元/月")
    return {"adjusted": True, "benefit_case_id": old.case_id, "amount": value}
