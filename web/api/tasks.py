"""The inbox and the work on one task."""

from flask import request

from engine import clock, tasks

from ..extensions import db
from . import actor, api, body, query_bool, query_int, views


@api.get("/tasks")
def inbox():
    """The caller's inbox: open tasks of their org and level, soonest due first."""
    found = tasks.inbox(db.session, actor(), step=request.args.get("step") or None,
                        overdue=query_bool("overdue"), limit=query_int("limit", 50, 1, 500),
                        offset=query_int("offset", 0))
    now = clock.now()
    return [views.task(t, now) for t in found]


@api.get("/tasks/<int:task_id>")
def get_task(task_id: int):
    """The task with its form, the case summary and earlier steps."""
    d = tasks.detail(db.session, actor(), task_id)
    return {
        **views.task(d.task),
        "form": d.form.describe(),
        "case": {**views.case_row(d.case), "application": d.case.application,
                 "decisions": d.decisions},
        "earlier_steps": [{"step": t.step, "name": t.name, "outcome": t.outcome,
                           "completed_at": views.iso(t.completed_at), "data": t.data}
                          for t in d.earlier],
    }


@api.post("/tasks/<int:task_id>/claim")
def claim(task_id: int):
    """Take the task; 409 when someone else holds it."""
    return views.task(tasks.claim(db.session, actor(), task_id))


@api.post("/tasks/<int:task_id>/unclaim")
def unclaim(task_id: int):
    """Give the task back to the org's pool."""
    return views.task(tasks.unclaim(db.session, actor(), task_id))


@api.post("/tasks/<int:task_id>/complete")
def complete(task_id: int):
    """Submit the step's form; 422 with field errors, 409 when already completed."""
    data = body()
    case, open_tasks = tasks.complete(db.session, actor(), task_id, data.get("data"),
                                      comment=str(data.get("comment") or ""))
    return {"case": {"id": case.id, "status": case.status,
                     "open_tasks": [views.task(t) for t in open_tasks]}}
