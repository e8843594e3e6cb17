"""The inbox and the work on one task."""

from engine.casework import hits, tasks
from engine.time import clock

from ..extensions import db
from . import actor, api, schemas, views


@api.get("/tasks")
@api.arguments(schemas.TaskQuery, location="query")
@api.alt_response(200, schema=schemas.Task(many=True), success=True)
def inbox(args):
    """The caller's inbox: open tasks of their org and level, soonest due first."""
    found = tasks.inbox(db.session, actor(), step=args.get("step") or None,
                        overdue=args.get("overdue"), limit=args["limit"], offset=args["offset"])
    now = clock.now()
    return [views.listed_task(t, now) for t in found]


@api.get("/tasks/<int:task_id>")
@api.alt_response(200, schema=schemas.TaskDetail, success=True)
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
        # 区级比对: the form's initial values from the case's cross-check hits ({} elsewhere)
        # and fields that declare `prefill` from the case data (the official may change them)
        "prefill": {**d.prefill,
                    **hits.prefill(db.session, d.case, {f.name for f in d.form.fields})}
        if d.task.completed_at is None else {},
    }


@api.post("/tasks/<int:task_id>/claim")
@api.alt_response(200, schema=schemas.Task, success=True)
def claim(task_id: int):
    """Take the task; 409 when someone else holds it."""
    return views.task(tasks.claim(db.session, actor(), task_id))


@api.post("/tasks/<int:task_id>/unclaim")
@api.alt_response(200, schema=schemas.Task, success=True)
def unclaim(task_id: int):
    """Give the task back to the org's pool."""
    return views.task(tasks.unclaim(db.session, actor(), task_id))


@api.post("/tasks/<int:task_id>/complete")
@api.arguments(schemas.TaskComplete)
@api.alt_response(200, schema=schemas.Completed, success=True)
def complete(data, task_id: int):
    """Submit the step's form; 422 with field errors, 409 when already completed."""
    case, open_tasks = tasks.complete(db.session, actor(), task_id, data["data"],
                                      comment=data["comment"] or "")
    return {"case": {"id": case.id, "status": case.status,
                     "open_tasks": [views.task(t) for t in open_tasks]}}
