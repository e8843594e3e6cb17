"""Overdue steps and the caller's notifications."""

from engine import clock, notifications, overdue

from ..extensions import db
from . import actor, api, query_int, views


@api.get("/overdue")
def overdue_tasks():
    """Open tasks past due, oldest first, with level, org and working days overdue."""
    now = clock.now()
    items = overdue.overdue(db.session, actor(), now, limit=query_int("limit", 200, 1, 1000),
                            offset=query_int("offset", 0))
    return [{**views.task(i.task, now), "org_name": i.task.org.name,
             "working_days_overdue": i.working_days_overdue} for i in items]


@api.get("/notifications")
def my_notifications():
    """The caller's recent in-app notifications and how many are unread."""
    items = notifications.recent(db.session, actor())
    return {"unread": notifications.unread_count(db.session, actor()),
            "items": [{"id": n.id, "kind": n.kind, "case_id": n.case_id, "task_id": n.task_id,
                       "message": n.message, "at": views.iso(n.created_at)} for n in items]}


@api.post("/notifications/seen")
def notifications_seen():
    """Mark everything up to now as read."""
    notifications.mark_seen(db.session, actor())
    return {"unread": 0}
