"""The yearly review (年度复核) of every enrolled household, started in bulk.

临办发〔2018〕34号 二.5: 每年12月份，对所有困难家庭进行全面核查，根据核查情况进行动态调整.
A district official (or an admin) starts the review of a region: a Job (kind "start_reviews")
is queued with every active household (approved case with a benefit not ended), and the worker
opens one review case per household in batches (`run_batch`), showing progress on the job.
Each review case starts from the household's last application, as the official who started
the job. A household that already has a running case is skipped and counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from . import audit, benefits, cases, clock, procedures
from .errors import Conflict, Forbidden, NotFound
from .models import Case, Job, OrgUnit, ProcedureVersion, User
from .orgs import by_code
from .uow import unit_of_work

KIND = "start_reviews"
BATCH = 100
STARTERS = ("district", "admin")


def _households(org_path: str):
    """The active benefit cases (one per household) under a region, by case id."""
    return benefits._active(org_path).where(Case.household_id.is_not(None))


def start_yearly(db: Session, actor: User, region_code: str,
                 procedure_key: str = "linzi_review", now: datetime | None = None) -> Job:
    """Queue the yearly review of every active household under a region."""
    now = now or clock.now()
    with unit_of_work(db):
        if actor.role not in STARTERS:
            raise Forbidden("只有区级人员或管理员可以发起年度复核")
        try:
            region = by_code(db, region_code)
        except NotFound:
            raise NotFound(f"机构代码 {region_code} 不存在") from None
        if not actor.org.covers(region):
            raise Forbidden("您无权对该地区发起年度复核")
        procedures.newest_for(db, procedure_key, region)  # deployed here, or NotFound
        running = db.scalar(select(Job.id).where(
            Job.kind == KIND, Job.status.in_(("pending", "running")),
            Job.org_path == region.path))
        if running is not None:
            raise Conflict(f"该地区的年度复核正在发起中（任务 {running}）")
        total = db.scalar(select(func.count()).select_from(_households(region.path).subquery()))
        job = Job(kind=KIND, org_path=region.path, total=total, created_at=now,
                  params={"procedure_key": procedure_key, "actor_id": actor.id,
                          "year": now.year, "region": region.code})
        db.add(job)
        db.flush()
        audit.record(db, now, actor, "job.created",
                     comment=f"发起 {region.name} {now.year} 年度复核，共 {total} 户",
                     changes={"job_id": job.id, "procedure": procedure_key})
    return job


def run_batch(db: Session, now: datetime | None = None) -> int:
    """Open review cases for the next batch of the oldest review job; returns households
    handled (0: nothing to do)."""
    now = now or clock.now()
    with unit_of_work(db):
        query = (select(Job).where(Job.status.in_(("pending", "running")), Job.kind == KIND)
                 .order_by(Job.id))
        if db.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job = db.scalars(query.limit(1)).first()
        if job is None:
            return 0
        actor = db.get(User, job.params["actor_id"])
        key = job.params["procedure_key"]
        holders = list(db.scalars(
            select(Case).options(joinedload(Case.village))
            .where(Case.id.in_(_households(job.org_path).where(Case.id > job.cursor)
                               .order_by(Case.id).limit(BATCH)))
            .order_by(Case.id)))
        busy = set(db.scalars(select(Case.household_id).where(
            Case.household_id.in_([h.household_id for h in holders]),
            Case.status == "running")))
        versions: dict[int, ProcedureVersion] = {}
        for holder in holders:
            village: OrgUnit = holder.village
            if holder.household_id in busy:  # a running case (e.g. an earlier review)
                job.skipped += 1
                continue
            try:  # both raise before anything is written for this household
                version = versions.get(village.id)
                if version is None:
                    version = versions[village.id] = procedures.newest_for(db, key, village)
            except NotFound:
                job.skipped += 1
                continue
            cases.open_case(db, actor, version, village, dict(holder.application),
                            f"{job.params.get('year', '')} 年度复核（批量发起，任务 {job.id}）",
                            now)
            busy.add(holder.household_id)
            job.done += 1
        job.cursor = holders[-1].id if holders else job.cursor
        job.status = "running" if len(holders) == BATCH else "done"
        if job.status == "done":
            job.finished_at = now
        return len(holders) or 1  # 1: an empty job was just finished


def run_jobs(db: Session, now: datetime | None = None, max_batches: int = 20) -> int:
    """The worker's share: a few batches per pass."""
    return benefits.drain(run_batch, db, now, max_batches)
