"""Reviews of every enrolled household, started in bulk: yearly (年度复核) or every half year.

临办发〔2018〕34号 二.5: 每年12月份，对所有困难家庭进行全面核查，根据核查情况进行动态调整;
阜政办发〔2017〕30号: 对已经在册的家庭每年至少进行一次复核; 江府〔2018〕6号: 每半年调整一次名单.
A review procedure declares its months in the process property `reviewMonths` ("12", "1,7"), and
the worker queues it on its first pass in such a month for each region it is deployed to
(`start_scheduled`). A district official (or an admin) can also start one by hand
(`start_yearly`). Either way a Job (kind "start_reviews") lists every active household
(approved case with a benefit not ended) and the workers open one review case per household,
sharing the job in chunks of `BATCH` households (engine/store/chunks.py, SKIP LOCKED claims),
each chunk set-based from the procedure's precomputed first state (engine/casework/bulk.py),
showing progress on the job. A region's review of a procedure happens
once a month at most (the job's unique key). Each review case starts from the household's last
application. A household that already has a running case is skipped and counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.casework import bulk
from engine.money import benefits
from engine.people.orgs import by_code
from engine.store import audit, chunks
from engine.store.errors import Conflict, Forbidden, Invalid, NotFound
from engine.store.models import Case, Job, OrgUnit, ProcedureVersion, User
from engine.store.uow import unit_of_work
from engine.time import calendar, clock
from engine.workflow import procedures

KIND = "start_reviews"
BATCH = 1000  # households per chunk: one transaction of one worker
STARTERS = ("district", "admin")


def _households(org_path: str):
    """The active benefit cases (one per household) under a region, by case id."""
    return benefits._active(org_path).where(Case.household_id.is_not(None))


def _period_key(region: OrgUnit, procedure_key: str, now: datetime) -> str:
    return f"{KIND}:{region.path}:{procedure_key}:{calendar.local_date(now):%Y-%m}"


def _queue(db: Session, actor: User | None, region: OrgUnit, procedure_key: str,
           now: datetime, how: str, unique_key: str | None = None) -> Job:
    """Add the job of one region's review (the caller commits)."""
    running = [job_id for job_id, params in db.execute(select(Job.id, Job.params).where(
        Job.kind == KIND, Job.status.in_(("pending", "running")), Job.org_path == region.path))
        if params.get("procedure_key") == procedure_key]
    if running:
        raise Conflict(f"该地区的复核正在发起中（任务 {running[0]}）")
    total = db.scalar(select(func.count()).select_from(_households(region.path).subquery()))
    local = calendar.local_date(now)
    job = Job(kind=KIND, org_path=region.path, total=total, created_at=now, unique_key=unique_key,
              params={"procedure_key": procedure_key, "actor_id": actor.id if actor else None,
                      "year": local.year, "period": f"{local:%Y-%m}", "region": region.code})
    db.add(job)
    db.flush()
    audit.record(db, now, actor, "job.created",
                 comment=f"{how}发起 {region.name} {local:%Y年%m月} 复核，共 {total} 户",
                 changes={"job_id": job.id, "procedure": procedure_key})
    return job


def review_procedures(db: Session, region: OrgUnit) -> list[str]:
    """Keys of the review procedures that apply to a region: those deployed for it or a
    region above it whose newest applicable version declares reviewMonths, by key."""
    applicable: dict[str, ProcedureVersion] = {}
    for version in _newest_versions(db):
        if not region.path.startswith(version.region.path):
            continue
        held = applicable.get(version.key)
        if held is None or len(version.region.path) > len(held.region.path):
            applicable[version.key] = version  # the nearest region's deployment wins
    return sorted(key for key, version in applicable.items()
                  if procedures.model_of(version).review_months)


def review_procedure(db: Session, region: OrgUnit, procedure_key: str | None = None) -> str:
    """The review procedure to start in a region: the one named, if it is one of the region's
    review procedures, else the region's only one. None, or several unnamed, is an Invalid
    that says what to do."""
    found = review_procedures(db, region)
    if not found:
        raise Invalid({"procedure": [f"{region.name}（{region.code}）未部署复核流程"
                                     "（流程属性 reviewMonths），无法发起复核"]})
    if procedure_key:
        if procedure_key not in found:
            raise Invalid({"procedure": [f"流程 {procedure_key} 不是 {region.name} 的复核流程，"
                                         f"可选：{'、'.join(found)}"]})
        return procedure_key
    if len(found) > 1:
        raise Invalid({"procedure": [f"{region.name} 有多个复核流程，请指定其一："
                                     f"{'、'.join(found)}"]})
    return found[0]


def start_yearly(db: Session, actor: User, region_code: str,
                 procedure_key: str | None = None, now: datetime | None = None) -> Job:
    """Queue the review of every active household under a region, by hand (it may be
    repeated: households whose review is still running are skipped). Without a procedure
    key, the region's one review procedure (`review_procedure`)."""
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
        procedure_key = review_procedure(db, region, procedure_key)
        job = _queue(db, actor, region, procedure_key, now, "")
    return job


def _started_this_month(db: Session, region: OrgUnit, procedure_key: str,
                        now: datetime) -> bool:
    """Whether this region's review of the procedure was queued this month, by the schedule
    or by hand (a hand-started review in the month stands for the scheduled one)."""
    first = calendar.local_date(now).replace(day=1)
    since = calendar.end_of_day(first - timedelta(days=1))
    params = db.scalars(select(Job.params).where(
        Job.kind == KIND, Job.org_path == region.path, Job.created_at >= since))
    return any(p.get("procedure_key") == procedure_key for p in params)


def _newest_versions(db: Session) -> list[ProcedureVersion]:
    newest: dict[tuple[str, int], ProcedureVersion] = {}
    for version in db.scalars(select(ProcedureVersion)):
        held = newest.get((version.key, version.region_id))
        if held is None or version.version > held.version:
            newest[(version.key, version.region_id)] = version
    return list(newest.values())


def start_scheduled(db: Session, now: datetime | None = None) -> list[Job]:
    """Queue this month's reviews: every deployed procedure whose reviewMonths include the
    month, once per region. Returns the jobs queued by this call."""
    now = now or clock.now()
    month = calendar.local_date(now).month
    queued = []
    for version in _newest_versions(db):
        if month not in procedures.model_of(version).review_months:
            continue
        if _started_this_month(db, version.region, version.key, now):
            continue
        try:
            with unit_of_work(db):
                queued.append(_queue(db, None, version.region, version.key, now, "按计划自动",
                                     _period_key(version.region, version.key, now)))
        except Conflict:  # another worker queued it, or a review is still being started
            continue
    return queued


def _household_ids(job: Job):
    """The job's rows: its region's active benefit cases with a household, by id."""
    return (_households(job.org_path).where(Case.id > (job.cursor or 0))
            .order_by(Case.id))


_places: dict[tuple[int, int, int], dict] = {}


def _places_of(db: Session, job: Job) -> dict:
    """The villages' orgs and due dates read for this job by this process (bulk.open_many),
    forgotten when the worker moves on to another job."""
    key = (procedures.cache_generation(), id(db.get_bind()), job.id)
    if key not in _places:
        _places.clear()
        _places[key] = {}
    return _places[key]


def run_batch(db: Session, now: datetime | None = None) -> int:
    """Open review cases for the next chunk of a review job no other worker holds (set-based,
    engine/casework/bulk.py); returns households handled (0: nothing to do)."""
    now = now or clock.now()
    chunks.plan(db, KIND, _household_ids, BATCH)
    with unit_of_work(db):
        claimed = chunks.claim(db, KIND)
        if claimed is None:
            return 0
        job, chunk = claimed
        holders = db.execute(
            select(Case.household_id, Case.village_id, Case.application)
            .where(Case.id.in_(_households(job.org_path).where(
                *chunks.in_chunk(Case.id, chunk)))).order_by(Case.id)).all()
        busy = set(db.scalars(select(Case.household_id).where(
            Case.household_id.in_({h.household_id for h in holders}),
            Case.status == "running")))
        villages = {v.id: v for v in db.scalars(select(OrgUnit).where(
            OrgUnit.id.in_({h.village_id for h in holders})))}
        skipped, error, opened = 0, None, 0
        by_version: dict[int, tuple[ProcedureVersion, list]] = {}
        known = _places_of(db, job)  # the village's procedure version, read once per job
        versions = {v.id: v for v in db.scalars(select(ProcedureVersion).where(
            ProcedureVersion.key == job.params["procedure_key"]))}
        for holder in holders:
            village = villages[holder.village_id]
            if holder.household_id in busy:  # a running case (e.g. an earlier review)
                skipped += 1
                continue
            if ("version", village.id) not in known:
                try:
                    known["version", village.id] = procedures.newest_for(
                        db, job.params["procedure_key"], village).id
                except NotFound:
                    known["version", village.id] = None
            version = versions.get(known["version", village.id])
            if version is None:
                skipped += 1
                continue
            busy.add(holder.household_id)
            by_version.setdefault(version.id, (version, []))[1].append(
                (village, dict(holder.application)))
        actor = db.get(User, job.params["actor_id"]) if job.params.get("actor_id") else None
        period = job.params.get("period") or job.params.get("year", "")
        for version, items in by_version.values():
            done = bulk.open_many(db, actor, version, items,
                                  f"{period} 复核（批量发起，任务 {job.id}）", now, known)
            opened, skipped = opened + len(done.opened), skipped + done.skipped
            error = done.error or error
        chunks.close(db, job, chunk, opened, skipped, now, error=error)
        return len(holders) or 1  # 1: an empty chunk was just closed


def run_jobs(db: Session, now: datetime | None = None, max_batches: int = 20) -> int:
    """The worker's share: a few batches per pass."""
    return benefits.drain(run_batch, db, now, max_batches)
