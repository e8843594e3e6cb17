"""The bulk jobs an official may follow: those of their own region, newest first.

Jobs are queued by benefits.py (recalculating top-ups) and reviews.py (the yearly review) and
advanced by the worker; this module only reads them, with the scoping rule of benefits.job.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import Forbidden
from .models import Job, OrgUnit, User

VIEWER_ROLES = ("district", "admin", "township")


def recent(db: Session, actor: User, limit: int = 50) -> list[Job]:
    """The newest jobs under the actor's org."""
    if actor.role not in VIEWER_ROLES:
        raise Forbidden("无权查看批量任务")
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
