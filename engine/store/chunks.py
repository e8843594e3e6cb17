"""Bulk jobs shared by several workers: a job's rows cut into chunks, each claimed by one.

A queued job (the yearly review, a top-up recalculation, a cross-check list's matching) is
planned once, by the first worker that sees it: the ids of its rows are read in one query and
cut into chunks of `size` ids (the last one open-ended, so rows added meanwhile are not lost).
A worker then claims the oldest pending chunk with SELECT ... FOR UPDATE SKIP LOCKED on
PostgreSQL (SQLite has one writer: a plain claim), handles it and closes it in the same
transaction; a worker that dies rolls back and the chunk is claimed again. Closing a chunk
locks the job row only for the counters, last, so workers wait for each other only at
commit; the worker that closes the last chunk finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.orm import Session

from engine.store.models import Job, JobChunk
from engine.store.uow import unit_of_work

ACTIVE = ("pending", "running")


def _postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def bounds(ids: list[int], size: int, start: int = 0) -> list[tuple[int, int | None]]:
    """(first id, last id) of each chunk; the first starts at `start`, the last is open."""
    if not ids:
        return [(start, None)]
    cuts = list(range(0, len(ids), size))
    return [(start if n == 0 else ids[cut],
             ids[cut + size - 1] if n < len(cuts) - 1 else None)
            for n, cut in enumerate(cuts)]


def plan(db: Session, kind: str, ids_of: Callable[[Job], Select], size: int,
         job_id: int | None = None) -> bool:
    """Cut the oldest unplanned job of `kind` into chunks (its own transaction, so that other
    workers can share them at once); whether one was planned. `ids_of` selects the job's row
    ids in order; a job left half done by the cursor of old starts after it. `job_id`: only
    that job."""
    with unit_of_work(db):
        query = (select(Job).where(Job.kind == kind, Job.status.in_(ACTIVE),
                                   ~select(JobChunk.id).where(JobChunk.job_id == Job.id)
                                   .exists())
                 .order_by(Job.id).limit(1))
        if job_id is not None:
            query = query.where(Job.id == job_id)
        if _postgres(db):
            query = query.with_for_update(skip_locked=True)
        job = db.scalars(query).first()
        if job is None:
            return False
        if not _postgres(db) and not _still_unplanned(db, job):
            return True  # another worker planned it while this one looked
        ids = list(db.scalars(ids_of(job)))
        db.execute(insert(JobChunk), [
            {"job_id": job.id, "first_id": first, "last_id": last, "status": "pending",
             "done": 0, "skipped": 0} for first, last in bounds(ids, size, (job.cursor or 0) + 1)])
        job.status = "running"
    return True


def _still_unplanned(db: Session, job: Job) -> bool:
    """SQLite: take the write lock (a no-op write), then look again."""
    db.execute(update(Job).where(Job.id == job.id).values(status=Job.status))
    return db.scalar(select(func.count()).select_from(JobChunk)
                     .where(JobChunk.job_id == job.id)) == 0


def claim(db: Session, kind: str, job_id: int | None = None) -> tuple[Job, JobChunk] | None:
    """The oldest pending chunk of a job of `kind` (of `job_id`) no other worker holds,
    locked for the caller's transaction, with its job; None when there is none."""
    query = (select(JobChunk).join(Job, Job.id == JobChunk.job_id)
             .where(Job.kind == kind, JobChunk.status == "pending"))
    if job_id is not None:
        query = query.where(Job.id == job_id)
    if _postgres(db):
        query = query.with_for_update(skip_locked=True, of=JobChunk)
    chunk = db.scalars(query.order_by(JobChunk.id).limit(1)).first()
    if chunk is None:
        return None
    if not _postgres(db):  # SQLite: the write lock first, then make sure it is still ours
        taken = db.execute(update(JobChunk).where(JobChunk.id == chunk.id,
                                                  JobChunk.status == "pending")
                           .values(status="pending"))
        if taken.rowcount != 1:
            return None
    return db.get(Job, chunk.job_id), chunk


def in_chunk(column, chunk: JobChunk) -> list:
    """The conditions that keep `column` (the job's row id) inside the chunk."""
    where = [column >= chunk.first_id]
    if chunk.last_id is not None:
        where.append(column <= chunk.last_id)
    return where


def close(db: Session, job: Job, chunk: JobChunk, done: int, skipped: int, now: datetime,
          finish: Callable[[Job], None] | None = None, error: str | None = None) -> bool:
    """Mark the chunk handled and add its counts to the job (the job row is locked here,
    last); the closer of the last chunk runs `finish` and ends the job. Whether it ended."""
    chunk.status, chunk.done, chunk.skipped, chunk.finished_at = "done", done, skipped, now
    db.flush()
    locked = select(Job).where(Job.id == job.id).execution_options(populate_existing=True)
    if _postgres(db):
        locked = locked.with_for_update()
    job = db.scalars(locked).one()
    job.done, job.skipped = job.done + done, job.skipped + skipped
    job.cursor = max(job.cursor or 0, chunk.last_id or chunk.first_id)
    if error:
        job.params = {**job.params, "last_error": error}
    left = db.scalar(select(func.count()).select_from(JobChunk).where(
        JobChunk.job_id == job.id, JobChunk.status != "done"))
    if left:
        job.status = "running"
        return False
    if finish is not None:
        finish(job)
    job.status, job.finished_at = "done", now
    return True
