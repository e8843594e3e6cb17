"""Oversight pages: the overdue dashboard (admin, district), the working-day calendar (admin),
bulk job progress (admin, district, township) and every official's notifications, plus the
unread count the navigation shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from engine.casework import deadlines, jobs, notifications, overdue, timers, workspace
from engine.store import audit
from engine.store.errors import Invalid
from engine.store.models import Job
from engine.time import calendar, clock

from ..auth import actor, require_login
from ..errors import status_for
from ..extensions import db

admin = Blueprint("admin", __name__)
OVERDUE_PAGE = 50
TREND_DAYS = 30
JOB_KIND = {"recalculate_topups": _l("补差重新核算"), "start_reviews": _l("年度复核批量发起"),
            "crosscheck_match": _l("部门比对")}
JOB_STATUS = {"pending": _l("待处理"), "running": _l("进行中"), "done": _l("已完成")}
KIND = {"new_task": _l("新待办"), "due_soon": _l("即将到期"), "overdue": _l("已逾期"),
        "supervision": _l("督办"), "objection": _l("公示异议")}


admin.before_request(require_login)


@admin.app_context_processor
def navigation_extra() -> dict:
    """`unread_notifications()` for the navigation: counted only when a page shows it."""
    if not current_user.is_authenticated:
        return {}
    user = current_user.user

    def unread() -> int:
        if "unread_notifications" in g:  # the inbox counted it with its own counts
            return g.unread_notifications
        try:
            return notifications.unread_count(db.session, user)
        except SQLAlchemyError:  # an error page after a failed transaction still renders
            db.session.rollback()
            return 0

    powers = workspace.powers(user)
    return {"unread_notifications": unread, "sees_overdue": powers.overdue,
            "manages_calendar": powers.calendar, "sees_jobs": powers.jobs,
            "sees_stats": powers.stats, "sees_health": powers.health}


# ---------------------------------------------------------------- overdue dashboard


@dataclass
class TrendChart:
    """A line chart laid out on the server, drawn by the template as inline SVG."""

    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    points: list[tuple[float, float, date, int]]
    y_ticks: list[tuple[float, int]]
    x_labels: list[tuple[float, str, str]]  # x, label, text-anchor

    @property
    def line(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _d, _c in self.points)

    @property
    def area(self) -> str:
        if not self.points:
            return ""
        base = self.top + self.plot_h
        return (f"{self.points[0][0]:.1f},{base} {self.line} {self.points[-1][0]:.1f},{base}")


def trend_chart(series: list[tuple[date, int]], width: int = 1000, height: int = 200) -> TrendChart:
    left, top, right, bottom = 36, 10, 24, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([c for _d, c in series] + [0])
    step = max(1, -(-peak // 4))  # four gridlines, whole numbers
    top_value = step * 4
    n = max(len(series) - 1, 1)
    points = [(left + plot_w * i / n, top + plot_h * (1 - c / top_value), d, c)
              for i, (d, c) in enumerate(series)]
    y_ticks = [(top + plot_h * (1 - v / top_value), v) for v in range(0, top_value + 1, step)]
    every = max(1, len(series) // 6)
    last = len(points) - 1
    x_labels = [(x, f"{d.month}/{d.day}", "end" if i == last and i else "middle")
                for i, (x, _y, d, _c) in enumerate(points) if i % every == 0 or i == last]
    if len(x_labels) > 1 and x_labels[-1][0] - x_labels[-2][0] < plot_w / 10:
        del x_labels[-2]  # keep the last day's label readable
    return TrendChart(width, height, left, top, plot_w, plot_h, points, y_ticks, x_labels)


def _page() -> int:
    try:
        return max(1, min(100_000, int(request.args.get("page", 1))))
    except ValueError:
        return 1


@admin.get("/admin/overdue")
def overdue_dashboard():
    me, now, page = actor(), clock.now(), _page()
    counts = overdue.summary(db.session, me, now)
    items = overdue.overdue(db.session, me, now, limit=OVERDUE_PAGE + 1,
                            offset=(page - 1) * OVERDUE_PAGE)
    series = overdue.trend(db.session, me, TREND_DAYS, now)
    return render_template(
        "admin/overdue.html", counts=counts, total=sum(c.count for c in counts),
        items=items[:OVERDUE_PAGE], has_next=len(items) > OVERDUE_PAGE, page=page,
        page_size=OVERDUE_PAGE, chart=trend_chart(series), series=series, now=now)


# ---------------------------------------------------------------- working-day calendar


def _calendar_admin():
    me = actor()
    calendar.require_manager(me)
    return me


def _year() -> int:
    try:
        year = int(request.values.get("year", ""))
    except ValueError:
        return calendar.local_date(clock.now()).year
    return year if 1900 <= year <= 2200 else calendar.local_date(clock.now()).year


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), or GB18030 as Excel on Chinese Windows saves CSV."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def _calendar_page(year: int, problems: list[str] | None = None, region: str = "",
                   status: int = 200):
    view = calendar.show(db.session, year)
    this_year = calendar.local_date(clock.now()).year
    page = render_template("admin/calendar.html", view=view, problems=problems or [],
                           region=region, years=range(this_year - 2, this_year + 3))
    return page, status


@admin.get("/admin/calendar")
def calendar_page():
    _calendar_admin()
    return _calendar_page(_year())


@admin.post("/admin/calendar")
def calendar_upload():
    _calendar_admin()
    upload = request.files.get("file")
    region = (request.form.get("region") or "").strip()
    if upload is None or not upload.filename:
        return _calendar_page(_year(), [_("请选择要导入的 CSV 文件")], region,
                              status_for(Invalid))
    try:
        years = deadlines.import_calendar(db.session, _decode(upload.read()),
                                          region or None, actor())
    except Invalid as err:
        problems = [m for messages in err.fields.values() for m in messages]
        return _calendar_page(_year(), problems, region, status_for(err))
    flash(_("已导入 %(years)s 年的日历", years="、".join(str(y) for y in years)), "success")
    return redirect(url_for("admin.calendar_page", year=years[0]))


# ---------------------------------------------------------------- bulk jobs


@dataclass
class JobRow:
    """A job as its row shows it: names for codes, progress counted once."""

    job: Job
    kind: str
    status: str
    region: str
    handled: int
    percent: int
    error: str | None


def job_row(job: Job, regions: dict[str, str]) -> JobRow:
    error = jobs.last_error(job)
    status = str(JOB_STATUS.get(job.status, job.status))
    if error and job.status == "done":  # finished, but some households need attention
        status = str(_l("已完成（有出错，需处理）"))
    return JobRow(job, str(JOB_KIND.get(job.kind, job.kind)), status,
                  regions.get(job.org_path, job.org_path), jobs.handled(job), jobs.percent(job),
                  error)


@admin.get("/admin/jobs")
def jobs_page():
    found = jobs.recent(db.session, actor())
    regions = jobs.region_names(db.session, found)
    rows = [job_row(j, regions) for j in found]
    return render_template("admin/jobs.html", rows=rows,
                           unfinished=any(j.status != "done" for j in found))


# ---------------------------------------------------------------- notifications


@admin.get("/notifications")
def notifications_page():
    me = actor()
    items = notifications.recent(db.session, me)
    seen = clock.as_utc(me.notifications_seen_at)
    unread = {n.id for n in items if seen is None or clock.as_utc(n.created_at) > seen}
    return render_template("admin/notifications.html", items=items, unread=unread,
                           kinds=KIND)


@admin.post("/notifications/seen")
def notifications_seen():
    notifications.mark_seen(db.session, actor())
    flash(_("已全部标为已读"), "success")
    return redirect(url_for("admin.notifications_page"))


# ---------------------------------------------------------------- system health (admin)


def _health_page(verification: audit.Verification | None = None):
    me = actor()
    return render_template("admin/health.html", failing=timers.failing(db.session, me),
                           verification=verification)


@admin.get("/admin/health")
def health_page():
    """Failing timers with their attempts and last error; the audit verification form."""
    return _health_page()


@admin.post("/admin/health/audit")
def health_verify():
    """Run the audit verification and show its result on the same page."""
    return _health_page(audit.verify_as(db.session, actor()))


from . import stats as _stats_routes  # noqa: E402,F401  (routes register on `admin`)
