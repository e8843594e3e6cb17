"""Progress of bulk jobs (such as recalculating top-ups after a standard changes)."""

from engine import benefits

from ..extensions import db
from . import actor, api, views


@api.get("/jobs/<int:job_id>")
def job(job_id: int):
    """A bulk job's status and progress."""
    j = benefits.job(db.session, actor(), job_id)
    percent = 100 if j.status == "done" else (100 * (j.done + j.skipped) // j.total if j.total
                                              else 0)
    return {"id": j.id, "kind": j.kind, "status": j.status, "total": j.total, "done": j.done,
            "skipped": j.skipped, "percent": percent, "case_id": j.case_id,
            "created_at": views.iso(j.created_at), "finished_at": views.iso(j.finished_at)}
