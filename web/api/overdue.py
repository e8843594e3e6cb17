"""Overdue steps and the caller's notifications."""

from engine.casework import notifications, overdue
from engine.time import clock

from ..extensions import db
from . import actor, api, schemas, views


@api.get("/overdue")
@api.arguments(schemas.OverdueQuery, location="query")
@api.alt_response(200, schema=schemas.OverdueTask(many=True), success=True)
def overdue_tasks(args):
    """Open tasks past due, oldest first, with level, org and working days overdue."""
    now = clock.now()
    items = overdue.overdue(db.session, actor(), now, limit=args["limit"], offset=args["offset"])
    return [{**views.task(i.task, now), "org_name": i.task.org.name,
             "working_days_overdue": i.working_days_overdue} for i in items]


@api.get("/notifications")
@api.alt_response(200, schema=schemas.Notifications, success=True)
def my_notifications():
    """The caller's recent in-app notifications and how many are unread."""
    items = notifications.recent(db.session, actor())
    return {"unread": notifications.unread_count(db.session, actor()),
            "items": [{"id": n.id, "kind": n.kind, "case_id": n.case_id, "task_id": n.task_id,
                       "message": n.message, "at": views.iso(n.created_at)} for n in items]}


@api.post("/notifications/seen")
@api.alt_response(200, schema=schemas.Unread, success=True)
def notifications_seen():
    """Mark everything up to now as read."""
    notifications.mark_seen(db.session, actor())
    return {"unread": 0}
