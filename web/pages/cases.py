"""Cases: the search list, one case with its application, history, open tasks and diagram."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.casework import cases, documents, household_file, objections, workspace
from engine.casework.cases import CaseDetail
from engine.casework.standing import CATEGORY, display_names
from engine.data import crosscheck
from engine.money import deregistration, programs
from engine.people import scope
from engine.store.errors import Invalid
from engine.store.models import CASE_STATUSES, Case, HumanTask
from engine.workflow import procedures
from forms.form import Form

from .. import forms_render
from ..auth import actor
from ..errors import status_for
from ..extensions import db
from . import pages
from .choices import village_options
from .labels import SYSTEM_STEPS, category_label, model_step_name

PAGE_SIZE = 30


def case_context(d: CaseDetail) -> dict[str, Any]:
    """What every page showing a case needs: its application form, named history steps, the
    outcome of each done step as its form names it, and the people's names."""
    model = procedures.model_of(d.version)
    step_names = {**SYSTEM_STEPS, **{s.id: model_step_name(s) for s in model.steps.values()}}
    application_form = procedures.form_of(d.version, d.version.start_form)
    step_names.setdefault(d.version.start_form, forms_render.title_of(application_form))
    forms = [procedures.form_of(d.version, t.form_key) for t in d.done_tasks]
    return {"case_detail": d, "case": d.case, "application_form": application_form,
            "step_names": step_names, "can_reply": workspace.powers(actor()).reply_objections,
            "can_explain": workspace.powers(actor()).explain_hits,
            # open tasks the viewer may work are links; the others would only answer 403
            "workable": {t.id for t in d.open_tasks if scope.can_work(actor(), t)},
            "outcomes": step_outcomes(zip(d.done_tasks, forms, strict=True)),
            "names": d.standing.names if d.standing else {},
            "category_name": category_name(d, forms)}


def step_outcomes(done: Iterable[tuple[HumanTask, Form]]) -> dict[int, str]:
    """Task id -> its outcome as the step's form names it (批准, 不予认定), not a generic
    同意: the label of the `decision` option the official chose."""
    found: dict[int, str] = {}
    for task, form in done:
        if task.outcome and any(f.name == "decision" for f in form.fields):
            found[task.id] = forms_render.choice_text(form, "decision", task.outcome)
    return found


def category_name(d: CaseDetail, forms: list[Form]) -> str:
    """The award's category as the step forms label it (困难家庭), else the shared label."""
    code = d.standing.award.category if d.standing else None
    if code is None:
        return ""
    for form in reversed(forms):
        if any(f.name == CATEGORY and f.options for f in form.fields):
            label = forms_render.choice_text(form, CATEGORY, code)
            if label != code:
                return label
    return category_label(code)


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
    villages = workspace.villages_under(db.session, me.org) if me.role != "assessor" else ()
    return render_template(
        "pages/cases.html", cases=found[:PAGE_SIZE], has_next=len(found) > PAGE_SIZE,
        offset=offset, page_size=PAGE_SIZE, args=args, statuses=CASE_STATUSES,
        villages=villages, village_options=village_options(villages, args.get("village")),
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
    versions = {c.id: c.procedure for c in found.cases}
    forms = [procedures.form_of(versions[t.case_id], t.form_key) for t in file.done_tasks]
    return render_template("pages/household.html", h=found, file=file,
                           step_names=history_step_names(found.cases),
                           names=display_names(db.session, file.history),
                           outcomes=step_outcomes(zip(file.done_tasks, forms, strict=True)),
                           exits=exits, reasons=deregistration.REASONS,
                           exit_procedures=deregistration.exit_procedures(
                               db.session, found.household) if can_start else [],
                           status=str(HOUSEHOLD_STATUS.get(found.status, found.status)),
                           matches=programs.for_household(db.session, found.household.id))


def history_step_names(found: list[Case]) -> dict[str, str]:
    """Step id -> name over the procedures of a household's cases (the newest case's name
    when two procedures share a step id), application forms under their titles."""
    names: dict[str, str] = dict(SYSTEM_STEPS)
    for case in found:
        version = case.procedure
        names[version.start_form] = procedures.form_of(version, version.start_form).title
        names.update({s.id: s.name for s in procedures.model_of(version).steps.values()})
    return names


@pages.get("/cases/<int:case_id>/diagram.bpmn")
def diagram(case_id: int):
    """The BPMN XML of the case's own procedure version, for the viewer."""
    xml = workspace.case_bpmn(db.session, actor(), case_id)
    return Response(xml, mimetype="application/xml")
