"""The worker's pass: fire every timer that has fallen due, each exactly once.

Due instances are found through the indexed `next_timer_at`. Each is handled in its own
transaction under a row lock (FOR UPDATE SKIP LOCKED on PostgreSQL, so that several workers
share the queue) and the optimistic version check (so that nothing fires twice even where
row locks are not available, as on SQLite). A worker killed mid-pass leaves the row as it
was: the next pass fires it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from . import clock, instances, procedures, spiff
from .errors import Conflict
from .models import Case, ProcessInstance
from .uow import unit_of_work

log = logging.getLogger(__name__)


@dataclass
class PassResult:
    fired: int = 0
    skipped: int = 0
    failed: int = 0


def _due_ids(db: Session, now: datetime, limit: int) -> list[int]:
    ids = list(db.scalars(
        select(ProcessInstance.id)
        .where(ProcessInstance.next_timer_at <= now)
        .order_by(ProcessInstance.next_timer_at)
        .limit(limit)
    ))
    db.rollback()  # end the read transaction; each instance gets its own
    return ids


def _lock(db: Session, instance_id: int, now: datetime) -> ProcessInstance | None:
    query = (
        select(ProcessInstance)
        .options(joinedload(ProcessInstance.case).joinedload(Case.procedure))
        .where(ProcessInstance.id == instance_id, ProcessInstance.next_timer_at <= now)
    )
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ProcessInstance)
    return db.scalar(query)


def fire_one(db: Session, instance_id: int, now: datetime) -> bool:
    """Fire the due timers of one instance; False when another worker has it or did it."""
    with unit_of_work(db):
        instance = _lock(db, instance_id, now)
        if instance is None:
            return False
        case = instance.case
        model = procedures.model_of(case.procedure)
        wf = spiff.load(instance.state, model)
        before = instances.snapshot(wf)
        with instances.running(db, case, now):
            spiff.fire_timers(wf)
        instances.save(db, case, instance, model, wf, before, instances.open_rows(db, case), now)
    return True


def run_pass(db: Session, now: datetime | None = None, limit: int = 500) -> PassResult:
    """One pass over everything due at `now`."""
    now = now or clock.now()
    result = PassResult()
    for instance_id in _due_ids(db, now, limit):
        try:
            if fire_one(db, instance_id, now):
                result.fired += 1
            else:
                result.skipped += 1
        except Conflict:
            result.skipped += 1
        except Exception:  # one broken case must not stop the others
            log.exception("timer of process instance %s failed", instance_id)
            result.failed += 1
    return result
