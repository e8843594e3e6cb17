"""Progress of bulk jobs (such as recalculating top-ups after a standard changes)."""

from engine.casework import jobs

from ..extensions import db
from . import actor, api, schemas, views


@api.get("/jobs/<int:job_id>")
@api.alt_response(200, schema=schemas.Job, success=True)
def job(job_id: int):
    """A bulk job's status and progress."""
    j = jobs.get(db.session, actor(), job_id)
    return {"id": j.id, "kind": j.kind, "status": j.status, "total": j.total, "done": j.done,
            "skipped": j.skipped, "percent": jobs.percent(j), "case_id": j.case_id,
            "created_at": views.iso(j.created_at), "finished_at": views.iso(j.finished_at),
            "last_error": jobs.last_error(j)}
