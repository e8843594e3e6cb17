"""部门比对: a district loads a bureau's list, sees every list with who loaded it, the import
report of a bad file, and the review list of hits on enrolled households."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.casework import hits, jobs
from engine.data import crosscheck
from engine.store.errors import DomainError, Invalid
from engine.store.models import Job

from ..auth import actor
from ..errors import is_users_fault, status_for
from ..extensions import db
from . import pages


def _page(report: Invalid | None = None, typed: dict[str, str] | None = None,
          status: int = 200):
    me = actor()
    found = crosscheck.lists(db.session, me)
    job_ids = [f.job_id for f in found if f.job_id]
    progress = {j.id: jobs.percent(j) for j in db.session.query(Job).filter(Job.id.in_(job_ids))}
    review = crosscheck.review_list(db.session, me)
    rows = []
    if report is not None:
        rows = sorted(((int(k.split(".")[1]), v) for k, v in report.fields.items()
                       if k.startswith("rows.")))
    return render_template(
        "pages/crosscheck.html", lists=found, progress=progress, review=review,
        sources=hits.SOURCES, report=report, report_rows=rows,
        report_other=[m for k, ms in (report.fields.items() if report else [])
                      if not k.startswith("rows.") for m in ms],
        typed=typed or {"region": me.org.code}), status


@pages.get("/admin/crosscheck", endpoint="crosscheck")
def crosscheck_page():
    return _page()


@pages.post("/admin/crosscheck")
def crosscheck_import():
    """Load a list, then match it at once (progress is on its job, /admin/jobs)."""
    me = actor()
    typed = {"source": request.form.get("source", ""), "region": request.form.get("region", "")}
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid({"file": [_("请选择名单文件（CSV 或 xlsx）")]}, _("请选择名单文件"))
        found = crosscheck.import_list(db.session, me, typed["source"], typed["region"].strip(),
                                       upload.filename, upload.read())
    except Invalid as err:
        return _page(err, typed, status=status_for(err))
    hit_count = crosscheck.match(db.session, found)
    flash(_("已导入 %(rows)s 行，比对命中 %(hits)s 人次", rows=found.row_count, hits=hit_count),
          "success")
    return redirect(url_for("pages.crosscheck"))


@pages.post("/admin/crosscheck/hits/<int:hit_id>/followup")
def crosscheck_followup(hit_id: int):
    """Open a review or an exit for the household a hit names."""
    try:
        case = crosscheck.open_followup(db.session, actor(), hit_id,
                                        request.form.get("kind", ""))
    except DomainError as err:
        if not is_users_fault(err):
            raise
        flash(str(err) if not isinstance(err, Invalid) else
              "；".join(m for ms in err.fields.values() for m in ms), "error")
        return redirect(url_for("pages.crosscheck") + "#review")
    flash(_("已发起案件 #%(id)s", id=case.id), "success")
    return redirect(url_for("pages.case", case_id=case.id))
