"""The inbox: the signed-in official's open tasks, filtered, soonest due first, paged."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.casework import tasks, workspace
from engine.time import clock

from ..auth import actor
from ..extensions import db
from ..i18n import LOCAL_TZ
from . import pages
from .choices import village_options
from .labels import english

PAGE_SIZE = 20
MAX_OFFSET = 1_000_000  # beyond any inbox; keeps OFFSET within what the database accepts


def _int_arg(name: str, default: int) -> int:
    try:
        return max(0, min(MAX_OFFSET, int(request.args.get(name, default))))
    except ValueError:
        return default


def _due_before(raw: str) -> datetime | None:
    """A date typed as "due before" means before the end of that day, Beijing time."""
    try:
        return datetime.combine(date.fromisoformat(raw) + timedelta(days=1), time(), LOCAL_TZ)
    except (ValueError, OverflowError):  # not a date, or 9999-12-31 (no day after it)
        return None


@pages.get("/inbox")
def inbox():
    """Four statements whatever the inbox's size: the session's user, the page's rows with
    their cases, the capped counts (with the navigation's unread badge), and the org cache's
    counter, under which the villages to filter by are kept (a first request reads them)."""
    me = actor()
    now = clock.now()
    filters = {
        "step": request.args.get("step") or None,
        "village": request.args.get("village") or None,
        "overdue": True if request.args.get("overdue") else None,
        "mine": bool(request.args.get("mine")),
        "due_before": _due_before(request.args.get("due_before", "")),
        "now": now,
    }
    offset = _int_arg("offset", 0)
    rows = workspace.inbox_rows(db.session, me, limit=PAGE_SIZE, offset=offset, **filters)
    counts = workspace.inbox_counts(db.session, me, offset=offset, **filters)
    g.unread_notifications = counts.unread
    args = {k: v for k, v in request.args.items() if k != "offset" and v}
    villages = workspace.villages_under(db.session, me.org)
    return render_template(
        "pages/inbox.html", rows=rows, counts=counts, total=counts.total,
        offset=offset, page_size=PAGE_SIZE, now=now, args=args, villages=villages,
        village_options=village_options(villages, args.get("village")),
        step_names=tasks.inbox_english_step_names(db.session, me, now) if english() else {},
    )


def _back():
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("pages.inbox"))


@pages.post("/tasks/<int:task_id>/claim")
def claim(task_id: int):
    tasks.claim(db.session, actor(), task_id)
    flash(_("已认领该事项"), "success")
    return _back()


@pages.post("/tasks/<int:task_id>/unclaim")
def unclaim(task_id: int):
    tasks.unclaim(db.session, actor(), task_id)
    flash(_("已退回待认领"), "info")
    return _back()
