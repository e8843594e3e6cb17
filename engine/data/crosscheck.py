"""Cross-checks against bureau lists (区级比对): load a list, match it in bulk, explain hits,
and act on hits on enrolled households (动态管理).

A district admin (or official) loads a bureau's list for a source and region; it replaces that
source's previous list there, and both are kept with their import time, uploader and SHA-256.
Every member of every running case and every enrolled household under the region is then
matched by ID number, in batches of list rows recorded on a Job (kind `crosscheck_match`), so
the progress shows on /admin/jobs and an interrupted match is finished by `yimen worker`. One
INSERT … SELECT per batch keeps 100,000 × 100,000 well under a minute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, insert, select
from sqlalchemy.orm import Session, joinedload

from engine.casework import cases, hits
from engine.data import crosscheck_file
from engine.money import benefits
from engine.people import scope
from engine.people.orgs import REGION_LEVELS, by_code
from engine.store import audit, chunks
from engine.store.errors import Conflict, Forbidden, Invalid, NotFound
from engine.store.models import (
    Case,
    CrosscheckHit,
    CrosscheckList,
    CrosscheckRow,
    Job,
    OrgUnit,
    ProcedureVersion,
    User,
)
from engine.store.uow import unit_of_work
from engine.time import calendar, clock
from engine.workflow import procedures

SOURCES = hits.SOURCES
KIND = "crosscheck_match"
BATCH = 25_000  # list rows per matching statement
IMPORTERS = hits.IMPORTER_ROLES
FOLLOWUPS = {"review": "复核", "exit": "退出"}


def _importer(db: Session, actor: User | None, source: str, region_code: str) -> OrgUnit:
    if source not in hits.SOURCES:
        raise Invalid({"source": [f"比对来源应为 {', '.join(hits.SOURCES)} 之一"]})
    try:
        region = by_code(db, region_code)
    except NotFound:
        raise Invalid({"region": [f"机构代码 {region_code} 不存在"]}) from None
    if region.level not in REGION_LEVELS:
        raise Invalid({"region": ["名单应按区（县）或镇（街道）导入"]})
    if actor is not None and (actor.role not in IMPORTERS or not actor.org.covers(region)):
        raise Forbidden("只有本地区的区级人员或管理员可以导入比对名单")
    return region


def import_list(db: Session, actor: User | None, source: str, region_code: str,
                filename: str, content: bytes, now: datetime | None = None) -> CrosscheckList:
    """Check every row, then store the list, replace the previous one and queue its matching
    (run it with `match`); a bad file raises `Invalid` listing each bad row and writes nothing.
    `actor` None is the machine's operator (the CLI)."""
    now = now or clock.now()
    region = _importer(db, actor, source, region_code)
    rows = crosscheck_file.read(filename, content, calendar.local_date(now))
    with unit_of_work(db):
        previous = list(db.scalars(select(CrosscheckList).where(
            CrosscheckList.source == source, CrosscheckList.region_id == region.id,
            hits.current_lists())))
        for old in previous:
            old.replaced_at = now
        found = CrosscheckList(
            source=source, region_id=region.id, region_path=region.path,
            filename=(filename or "")[-200:], sha256=hashlib.sha256(content).hexdigest(),
            row_count=len(rows), hit_count=0, imported_at=now,
            imported_by_id=actor.id if actor else None,
            imported_by_name=actor.username if actor else "system")
        db.add(found)
        db.flush()
        db.execute(insert(CrosscheckRow), [
            {"list_id": found.id, "id_number": r.id_number, "name": r.name,
             "finding": r.finding, "as_of": r.as_of} for r in rows])
        job = Job(kind=KIND, org_path=region.path, total=len(rows), created_at=now,
                  params={"list_id": found.id, "source": source, "region": region.code})
        db.add(job)
        db.flush()
        found.job_id = job.id
        audit.record(db, now, actor, "crosscheck.imported",
                     comment=f"导入{hits.SOURCES[source]}比对名单（{region.name}），"
                             f"共 {len(rows)} 行",
                     changes={"list_id": found.id, "source": source, "region": region.code,
                              "rows": len(rows), "sha256": found.sha256,
                              "replaces": [old.id for old in previous]})
    return found


def _row_ids(job: Job):
    """A matching's rows: its list's rows, by id."""
    return (select(CrosscheckRow.id).where(CrosscheckRow.list_id == job.params["list_id"],
                                           CrosscheckRow.id > (job.cursor or 0))
            .order_by(CrosscheckRow.id))


def run_batch(db: Session, now: datetime | None = None, job_id: int | None = None) -> int:
    """Match the next chunk of rows of a list no other worker holds (or of `job_id`), in one
    INSERT ... SELECT; returns rows handled (0: nothing to do)."""
    now = now or clock.now()
    chunks.plan(db, KIND, _row_ids, BATCH, job_id)
    with unit_of_work(db):
        claimed = chunks.claim(db, KIND, job_id)
        if claimed is None:
            return 0
        job, chunk = claimed
        found = db.get(CrosscheckList, job.params["list_id"])
        in_chunk = chunks.in_chunk(CrosscheckRow.id, chunk)
        count = 0
        if found.replaced_at is None:  # a replaced list's matching just ends
            count = db.scalar(select(func.count()).select_from(CrosscheckRow).where(
                CrosscheckRow.list_id == found.id, *in_chunk)) or 0
            db.execute(CrosscheckHit.__table__.insert().from_select(
                hits.HIT_COLUMNS, hits.match_select(
                    now, found.id, hits.target_cases(found.region_path), and_(*in_chunk))))
        chunks.close(db, job, chunk, count, 0, now, lambda j: _finish(db, j, found, now))
        return count or 1  # 1: an empty chunk was just closed


def _finish(db: Session, job: Job, found: CrosscheckList, now: datetime) -> None:
    """Carry explanations of the same findings over from the lists this one replaced, count
    the hits, close the job."""
    explained = {
        (case_id, number, finding): (text, at, by)
        for case_id, number, finding, text, at, by in db.execute(
            select(CrosscheckHit.case_id, CrosscheckHit.id_number, CrosscheckRow.finding,
                   CrosscheckHit.explanation, CrosscheckHit.explained_at,
                   CrosscheckHit.explained_by_id)
            .join(CrosscheckRow, CrosscheckRow.id == CrosscheckHit.row_id)
            .join(CrosscheckList, CrosscheckList.id == CrosscheckHit.list_id)
            .where(CrosscheckList.source == found.source,
                   CrosscheckList.region_id == found.region_id,
                   CrosscheckList.id != found.id, CrosscheckHit.explanation.is_not(None))
            .order_by(CrosscheckHit.id))}
    if explained:
        case_ids = {key[0] for key in explained}
        for hit, finding in db.execute(
                select(CrosscheckHit, CrosscheckRow.finding)
                .join(CrosscheckRow, CrosscheckRow.id == CrosscheckHit.row_id)
                .where(CrosscheckHit.list_id == found.id,
                       CrosscheckHit.case_id.in_(case_ids))):
            carried = explained.get((hit.case_id, hit.id_number, finding))
            if carried:
                hit.explanation, hit.explained_at, hit.explained_by_id = carried
    found.hit_count = db.scalar(select(func.count()).select_from(CrosscheckHit)
                                .where(CrosscheckHit.list_id == found.id)) or 0
    job.status, job.finished_at = "done", now
    audit.record(db, now, None, "crosscheck.matched",
                 comment=f"比对名单 {found.id} 匹配完成：命中 {found.hit_count} 人次",
                 changes={"list_id": found.id, "hits": found.hit_count})


def match(db: Session, found: CrosscheckList, now: datetime | None = None,
          progress: Callable[[int, int], None] | None = None) -> int:
    """Run a list's matching to the end, reporting (rows done, rows in all); returns hits."""
    while run_batch(db, now, found.job_id):
        job = db.get(Job, found.job_id)
        if progress is not None and job is not None:
            progress(job.done, job.total)
    db.refresh(found)
    return found.hit_count


def run_jobs(db: Session, now: datetime | None = None, max_batches: int = 20) -> int:
    """The worker's share: matching left unfinished (a request or a command cut short)."""
    return benefits.drain(run_batch, db, now, max_batches)


def lists(db: Session, actor: User, limit: int = 100) -> list[CrosscheckList]:
    """Lists of regions under the actor's org (and above it), newest first."""
    if actor.role not in IMPORTERS + ("township",):
        raise Forbidden("无权查看比对名单")
    return list(db.scalars(
        select(CrosscheckList).where(CrosscheckList.region_path.startswith(
            actor.org.path, autoescape=True))
        .order_by(CrosscheckList.imported_at.desc(), CrosscheckList.id.desc()).limit(limit)))


def explain(db: Session, actor: User, case_id: int, hit_id: int, text: str,
            now: datetime | None = None) -> hits.Hit:
    """A district official's written explanation of one hit (核实说明), audited on the case."""
    now = now or clock.now()
    text = (text or "").strip()
    with unit_of_work(db):
        case = scope.visible_case(db, actor, case_id)
        if actor.role not in hits.EXPLAINER_ROLES:
            raise Forbidden("只有区级人员可以说明比对命中")
        hit = db.get(CrosscheckHit, hit_id)
        if hit is None or hit.case_id != case.id:
            raise NotFound("比对命中不存在")
        listed = db.get(CrosscheckList, hit.list_id)
        if listed.replaced_at is not None:
            raise Conflict("该命中所属名单已被新名单替换")
        if not text:
            raise Invalid({"text": ["请填写核实说明"]})
        if len(text) > 2000:
            raise Invalid({"text": ["核实说明不能超过 2000 字"]})
        hit.explanation, hit.explained_at, hit.explained_by_id = text, now, actor.id
        audit.record(db, now, actor, "crosscheck.explained", case=case, comment=text,
                     changes={"hit": hit.id, "source": listed.source})
    return next(h for h in hits.of_case(db, case_id) if h.id == hit_id)


@dataclass
class ReviewItem:
    """A hit on an enrolled household, with what has been done about it."""

    hit: hits.Hit
    holder: Case
    running_case_id: int | None


def review_list(db: Session, actor: User, limit: int = 500) -> list[ReviewItem]:
    """Hits on enrolled households the actor may see (dynamic management, 动态管理)."""
    if actor.role not in IMPORTERS:
        raise Forbidden("只有区级人员可以查看比对复核清单")
    found = hits.as_hits(db.execute(hits.hit_query(
        CrosscheckHit.case_id.in_(benefits._active(actor.org.path))).limit(limit)))
    holders = {c.id: c for c in db.scalars(
        select(Case).options(joinedload(Case.village))
        .where(Case.id.in_({h.case_id for h in found}), scope.case_filter(actor)))}
    households = {c.household_id for c in holders.values() if c.household_id}
    running = dict(db.execute(select(Case.household_id, Case.id).where(
        Case.household_id.in_(households), Case.status == "running")).all())
    return [ReviewItem(h, holders[h.case_id], running.get(holders[h.case_id].household_id))
            for h in found if h.case_id in holders]


def _procedure_for(db: Session, village: OrgUnit, kind: str) -> ProcedureVersion:
    """The newest review or exit procedure deployed for the village's region."""
    newest: dict[str, ProcedureVersion] = {}
    for version in procedures.list_versions(db):
        if village.path.startswith(version.region.path):
            held = newest.get(version.key)
            if held is None or (len(version.region.path), version.version) > (
                    len(held.region.path), held.version):
                newest[version.key] = version
    for version in sorted(newest.values(), key=lambda v: v.key):
        model = procedures.model_of(version)
        # A review may end in an exit too; an exit procedure is one that is not a review.
        if (model.exits and not model.review_months) if kind == "exit" else model.review_months:
            return version
    raise Invalid({"kind": [f"本地区未部署{FOLLOWUPS[kind]}流程"]})


def open_followup(db: Session, actor: User, hit_id: int, kind: str,
                  now: datetime | None = None) -> Case:
    """Open a review (复核) or an exit (退出) for the household a hit names, from its last
    application, as the yearly review would."""
    now = now or clock.now()
    if kind not in FOLLOWUPS:
        raise Invalid({"kind": ["应为 review（复核）或 exit（退出）"]})
    with unit_of_work(db):
        if actor.role not in hits.EXPLAINER_ROLES:
            raise Forbidden("只有区级人员可以发起复核或退出")
        hit = db.get(CrosscheckHit, hit_id)
        if hit is None:
            raise NotFound("比对命中不存在")
        holder = scope.visible_case(db, actor, hit.case_id, joinedload(Case.village))
        if db.scalar(benefits._active(holder.org_path).where(Case.id == holder.id)) is None:
            raise Conflict("该户目前不在保，无需复核或退出")
        version = _procedure_for(db, holder.village, kind)
        source = db.scalar(select(CrosscheckList.source).where(
            CrosscheckList.id == hit.list_id))
        case = cases.open_case(
            db, actor, version, holder.village, dict(holder.application),
            f"部门比对命中（{hits.SOURCES.get(source, source)}：{hit.member_name}）发起"
            f"{FOLLOWUPS[kind]}", now)
        hit.followup_case_id = case.id
    return case
