"""Cases: the search list, one case with its application, history, open tasks and diagram."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.casework import cases, documents, household_file, objections, workspace
from engine.casework.cases import CaseDetail
from engine.data import crosscheck
from engine.money import deregistration, programs
from engine.store.errors import Invalid
from engine.store.models import CASE_STATUSES
from engine.workflow import procedures

from .. import forms_render
from ..auth import actor
from ..errors import status_for
from ..extensions import db
from . import pages
from .labels import model_step_name

PAGE_SIZE = 30


def case_context(d: CaseDetail) -> dict[str, Any]:
    """What every page showing a case needs: its application form and named history steps."""
    model = procedures.model_of(d.version)
    step_names = {s.id: model_step_name(s) for s in model.steps.values()}
    application_form = procedures.form_of(d.version, d.version.start_form)
    step_names.setdefault(d.version.start_form, forms_render.title_of(application_form))
    return {"case_detail": d, "case": d.case, "application_form": application_form,
            "step_names": step_names, "can_reply": workspace.powers(actor()).reply_objections,
            "can_explain": workspace.powers(actor()).explain_hits}


@pages.get("/cases", endpoint="cases")
def cases_list():
    me = actor()
    try:
        offset = max(0, min(1_000_000, int(request.args.get("offset", 0))))
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
    return _case_page(case_id)


def _case_page(case_id: int, reply_errors: dict[int, list[str]] | None = None,
               replies: dict[int, str] | None = None, status: int = 200,
               explain_errors: dict[int, list[str]] | None = None,
               explained: dict[int, str] | None = None):
    d = cases.detail(db.session, actor(), case_id)
    done = [(t, procedures.form_of(d.version, t.form_key)) for t in d.done_tasks]
    return render_template("pages/case.html", done=done, reply_errors=reply_errors or {},
                           replies=replies or {}, explain_errors=explain_errors or {},
                           explained=explained or {},
                           matches=programs.for_case(db.session, case_id),
                           refused=documents.refused(d.case, d.done_tasks)[0],
                           **case_context(d)), status


@pages.post("/cases/<int:case_id>/crosscheck/<int:hit_id>/explanation")
def explain_hit(case_id: int, hit_id: int):
    """Record a district official's explanation of a cross-check hit; back to the task page
    when it was sent from there."""
    text = request.form.get("text", "")
    try:
        crosscheck.explain(db.session, actor(), case_id, hit_id, text)
    except Invalid as err:
        messages = [m for ms in err.fields.values() for m in ms]
        return _case_page(case_id, status=status_for(err), explain_errors={hit_id: messages},
                          explained={hit_id: text})
    flash(_("已保存比对命中的核实说明"), "success")
    task_id = request.form.get("task", "")
    if task_id.isdigit() and len(task_id) < 10:
        return redirect(url_for("pages.task", task_id=int(task_id)) + "#crosscheck")
    return redirect(url_for("pages.case", case_id=case_id) + f"#hit-{hit_id}")


@pages.post("/cases/<int:case_id>/objections/<int:objection_id>/reply")
def reply_to_objection(case_id: int, objection_id: int):
    """Record the answer to an objection; back to the task page when it was sent from there."""
    text = request.form.get("text", "")
    try:
        objections.reply(db.session, actor(), case_id, objection_id, text)
    except Invalid as err:
        messages = [m for ms in err.fields.values() for m in ms]
        return _case_page(case_id, {objection_id: messages}, {objection_id: text},
                          status_for(err))
    flash(_("已记录对异议的答复"), "success")
    task_id = request.form.get("task", "")
    if task_id.isdigit() and len(task_id) < 10:
        return redirect(url_for("pages.task", task_id=int(task_id)))
    return redirect(url_for("pages.case", case_id=case_id) + f"#objection-{objection_id}")


HOUSEHOLD_STATUS = {"running": _l("有案件正在办理"), "active": _l("在保"),
                    "exited": _l("已退出（待遇已停发）"), "none": _l("未在保")}


@pages.get("/households/<int:household_id>")
def household(household_id: int):
    """A household (动态管理): whether it is in, its benefit now, and every case of it."""
    file = household_file.read(db.session, actor(), household_id)
    found = file.summary
    exits = deregistration.of_household(db.session, found.household.id)
    # "发起退出": the exits deployed for its village, for who may start cases there (the
    # engine checks again, and refuses a household no longer on the roll).
    can_start = found.status == "active" and workspace.powers(actor()).intake
    return render_template("pages/household.html", h=found, file=file, step_names={},
                           exits=exits, reasons=deregistration.REASONS,
                           exit_procedures=deregistration.exit_procedures(
                               db.session, found.household) if can_start else [],
                           status=str(HOUSEHOLD_STATUS.get(found.status, found.status)),
                           matches=programs.for_household(db.session, found.household.id))


@pages.get("/cases/<int:case_id>/diagram.bpmn")
def diagram(case_id: int):
    """The BPMN XML of the case's own procedure version, for the viewer."""
    xml = workspace.case_bpmn(db.session, actor(), case_id)
    return Response(xml, mimetype="application/xml")
