"""The worker's pass: fire every timer that has fallen due, each exactly once.

Due instances are found through the indexed `next_timer_at`. Each is handled in its own
transaction under a row lock (FOR UPDATE SKIP LOCKED on PostgreSQL, so that several workers
share the queue) and the optimistic version check (so that nothing fires twice even where
row locks are not available, as on SQLite). A worker killed mid-pass leaves the row as it
was: the next pass fires it.

A failing instance (a model error, a script past its time budget) must not block the others:
its step rolls back, and a separate transaction counts the attempt, keeps the last error (for
the admins' 系统运行 page) and moves `next_timer_at` out by an exponential, capped backoff.
Instances that have never failed are served first, and a pass keeps taking batches until
nothing due is left, so a batch full of broken cases cannot starve a healthy one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from engine.casework import moves
from engine.people import scope
from engine.store.errors import Conflict, Forbidden
from engine.store.models import Case, ProcedureVersion, ProcessInstance, User
from engine.store.uow import unit_of_work
from engine.time import clock
from engine.workflow import spiff

log = logging.getLogger(__name__)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)  # the cap: a broken case is retried at least this often
ERROR_CHARS = 500


@dataclass
class PassResult:
    fired: int = 0
    skipped: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """Delay before retry number `attempts` + 1: 1 min, 2, 4, ... up to 6 hours."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 20), LAST_RETRY)


def _due_ids(db: Session, now: datetime, limit: int) -> list[int]:
    ids = list(db.scalars(
        select(ProcessInstance.case_id)
        .where(ProcessInstance.next_timer_at <= now)
        .order_by(ProcessInstance.timer_attempts, ProcessInstance.next_timer_at,
                  ProcessInstance.case_id)
        .limit(limit)
    ))
    db.rollback()  # end the read transaction; each instance gets its own
    return ids


def _lock(db: Session, case_id: int, now: datetime) -> ProcessInstance | None:
    query = (
        select(ProcessInstance)
        .options(joinedload(ProcessInstance.case).joinedload(Case.procedure))
        .where(ProcessInstance.case_id == case_id, ProcessInstance.next_timer_at <= now)
    )
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ProcessInstance)
    return db.scalar(query)


def fire_one(db: Session, case_id: int, now: datetime) -> bool:
    """Fire the due timers of one instance; False when another worker has it or did it."""
    with unit_of_work(db):
        instance = _lock(db, case_id, now)
        if instance is None:
            return False
        moves.move(db, instance.case, now, spiff.fire_timers, instance=instance)
        instance.timer_attempts, instance.timer_error, instance.timer_failed_at = 0, None, None
    return True


def record_failure(db: Session, case_id: int, now: datetime, error: BaseException) -> None:
    """Count the failed attempt and back off, in a transaction of its own (the step's own
    changes have rolled back). Skipped when the instance is no longer due: someone moved it."""
    text = f"{type(error).__name__}: {error}"[:ERROR_CHARS]
    with unit_of_work(db):
        attempts = db.scalar(select(ProcessInstance.timer_attempts)
                             .where(ProcessInstance.case_id == case_id)) or 0
        db.execute(
            update(ProcessInstance)
            .where(ProcessInstance.case_id == case_id, ProcessInstance.next_timer_at <= now,
                   ProcessInstance.timer_attempts == attempts)
            .values(timer_attempts=attempts + 1, timer_error=text, timer_failed_at=now,
                    next_timer_at=now + backoff(attempts + 1))
            .execution_options(synchronize_session=False)
        )


def _fire(db: Session, case_id: int, now: datetime, result: PassResult) -> None:
    try:
        if fire_one(db, case_id, now):
            result.fired += 1
        else:
            result.skipped += 1
    except Conflict:
        result.skipped += 1
    except Exception as exc:  # one broken case must not stop the others
        log.warning("timer of case %s failed: %s", case_id,
                    type(exc).__name__)
        result.failed += 1
        try:
            record_failure(db, case_id, now, exc)
        except Exception as again:  # noqa: BLE001 - the pass goes on; the next one retries
            log.warning("could not record the timer failure of case %s: %s",
                        case_id, type(again).__name__)


def run_pass(db: Session, now: datetime | None = None, limit: int = 500) -> PassResult:
    """One pass over everything due at `now`, in batches of `limit`, each instance once."""
    now = now or clock.now()
    result = PassResult()
    seen: set[int] = set()
    while True:
        ids = _due_ids(db, now, limit)
        fresh = [i for i in ids if i not in seen]
        for case_id in fresh:
            seen.add(case_id)
            _fire(db, case_id, now, result)
        if not fresh or len(ids) < limit:
            return result


# ---------------------------------------------------------------- failing timers, for admins

VIEWER_ROLES = ("admin",)


@dataclass(frozen=True)
class FailingTimer:
    case_id: int
    procedure_key: str
    attempts: int
    error: str
    failed_at: datetime | None
    retry_at: datetime | None


def failing(db: Session, actor: User, limit: int = 200) -> list[FailingTimer]:
    """Timers whose last attempts failed, for cases under the admin's org, most tries first."""
    if actor.role not in VIEWER_ROLES:
        raise Forbidden("只有管理员可以查看定时器运行情况")
    rows = db.execute(
        select(ProcessInstance, Case.id, ProcedureVersion.key)
        .join(Case, Case.id == ProcessInstance.case_id)
        .join(ProcedureVersion, ProcedureVersion.id == Case.procedure_version_id)
        .where(ProcessInstance.timer_attempts > 0, scope.case_filter(actor))
        .order_by(ProcessInstance.timer_attempts.desc(), ProcessInstance.case_id)
        .limit(limit)
    ).all()
    return [FailingTimer(case_id, key, i.timer_attempts, i.timer_error or "",
                         i.timer_failed_at, i.next_timer_at) for i, case_id, key in rows]
