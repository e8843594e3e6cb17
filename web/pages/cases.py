"""Cases: the search list, one case with its application, history, open tasks and diagram."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_babel import lazy_gettext as _l

from engine import cases, households, procedures, workspace
from engine.cases import CaseDetail
from engine.models import CASE_STATUSES

from ..auth import actor
from ..extensions import db
from . import pages

PAGE_SIZE = 30


def case_context(d: CaseDetail) -> dict[str, Any]:
    """What every page showing a case needs: its application form and named history steps."""
    model = procedures.model_of(d.version)
    step_names = {s.id: s.name for s in model.steps.values()}
    application_form = procedures.form_of(d.version, d.version.start_form)
    step_names.setdefault(d.version.start_form, application_form.title)
    return {"case_detail": d, "case": d.case, "application_form": application_form,
            "step_names": step_names}


@pages.get("/cases", endpoint="cases")
def cases_list():
    me = actor()
    try:
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        offset = 0
    status = request.args.get("status") or None
    if status not in CASE_STATUSES:
        status = None
    village = request.args.get("village") or None
    q = (request.args.get("q") or "").strip() or None
    found = cases.search(db.session, me, status=status, village=village, q=q,
                         limit=PAGE_SIZE + 1, offset=offset)
    args = {k: v for k, v in request.args.items() if k != "offset" and v}
    return render_template(
        "pages/cases.html", cases=found[:PAGE_SIZE], has_next=len(found) > PAGE_SIZE,
        offset=offset, page_size=PAGE_SIZE, args=args, statuses=CASE_STATUSES,
        villages=workspace.villages_under(db.session, me.org) if me.role != "assessor" else [],
    )


@pages.get("/cases/<int:case_id>")
def case(case_id: int):
    d = cases.detail(db.session, actor(), case_id)
    done = [(t, procedures.form_of(d.version, t.form_key)) for t in d.done_tasks]
    return render_template("pages/case.html", done=done, **case_context(d))


HOUSEHOLD_STATUS = {"running": _l("有案件正在办理"), "active": _l("在保"),
                    "exited": _l("已退出（待遇已停发）"), "none": _l("未在保")}


@pages.get("/households/<int:household_id>")
def household(household_id: int):
    """A household (动态管理): whether it is in, its benefit now, and every case of it."""
    found = households.summary(db.session, actor(), household_id)
    return render_template("pages/household.html", h=found,
                           status=str(HOUSEHOLD_STATUS.get(found.status, found.status)))


@pages.get("/cases/<int:case_id>/diagram.bpmn")
def diagram(case_id: int):
    """The BPMN XML of the case's own procedure version, for the viewer."""
    xml = workspace.case_bpmn(db.session, actor(), case_id)
    return Response(xml, mimetype="application/xml")
