"""The bulk jobs an official may follow: those of their own region.

Jobs are queued by benefits.py (recalculating top-ups), reviews.py (reviews of enrolled
households) and engine/data/crosscheck.py (matching a list) and advanced by the workers, who
share each job chunk by chunk (engine/store/chunks.py); this module only reads them.
Township, district and admin users see the jobs under their own org.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.errors import Forbidden, NotFound
from engine.store.models import Job, OrgUnit, User

VIEWER_ROLES = ("district", "admin", "township")


def _require_viewer(actor: User) -> None:
    if actor.role not in VIEWER_ROLES:
        raise Forbidden("无权查看批量任务")


def get(db: Session, actor: User, job_id: int) -> Job:
    """One job under the actor's org (others are reported as missing)."""
    _require_viewer(actor)
    found = db.get(Job, job_id)
    if found is None or not found.org_path.startswith(actor.org.path):
        raise NotFound("任务不存在")
    return found


def recent(db: Session, actor: User, limit: int = 50) -> list[Job]:
    """The newest jobs under the actor's org."""
    _require_viewer(actor)
    return list(db.scalars(
        select(Job).where(Job.org_path.startswith(actor.org.path, autoescape=True))
        .order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)))


def region_names(db: Session, jobs: list[Job]) -> dict[str, str]:
    """The name of each job's region, by its org path."""
    paths = {j.org_path for j in jobs}
    if not paths:
        return {}
    rows = db.execute(select(OrgUnit.path, OrgUnit.name).where(OrgUnit.path.in_(paths)))
    return {path: name for path, name in rows}


def last_error(job: Job) -> str | None:
    """The last failure the worker noted on the job (e.g. a household's rules failing)."""
    message = (job.params or {}).get("last_error")
    return str(message) if message else None


def handled(job: Job) -> int:
    """Households done or skipped so far."""
    return job.done + job.skipped


def percent(job: Job) -> int:
    """Progress in whole percent; a finished job is 100 whatever its counts."""
    if job.status == "done":
        return 100
    return min(100, 100 * handled(job) // job.total) if job.total else 0
