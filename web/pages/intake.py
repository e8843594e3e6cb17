"""Intake (受理): a clerk or village official opens a case with the procedure's start form
(a district official or admin, a region procedure); engine.people.scope says who and where."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.casework import cases, drafts
from engine.money import households
from engine.people import scope
from engine.store.errors import Forbidden, Invalid, NotFound
from engine.store.models import OrgUnit
from engine.workflow import procedures

from .. import forms_render
from ..auth import actor
from ..errors import status_for
from ..extensions import db
from . import pages
from .attachments import Uploads
from .drafts import draft_context, finished_form
from .labels import procedure_name


def _choices() -> tuple[list[OrgUnit], list[tuple[str, str]]]:
    villages = scope.intake_orgs(db.session, actor())
    if not villages:
        raise Forbidden(_("您无权受理申请"))
    seen: dict[str, str] = {}
    for version in procedures.list_versions(db.session):
        seen.setdefault(version.key, procedure_name(version))
    return villages, sorted(seen.items())


def _page(source: Any, data: dict[str, Any] | None = None,
          errors: dict[str, list[str]] | None = None, comment: str = "", status: int = 200,
          conflict: households.RunningCase | None = None):
    villages, procs = _choices()
    village_code = source.get("village") or (villages[0].code if len(villages) == 1 else "")
    proc_key = source.get("procedure") or (procs[0][0] if len(procs) == 1 else "")
    village = next((v for v in villages if v.code == village_code), None)
    form, saved, local = None, None, {}
    if village is not None and proc_key in dict(procs):
        version = procedures.newest_for(db.session, proc_key, village)
        form = procedures.form_of(version, procedures.model_of(version).start_form)
        saved = drafts.intake_draft(db.session, actor(), proc_key, village.code)
        local = draft_context(drafts.intake_key(proc_key, village.code), saved)
        if data is None and saved is not None:  # the official's own 保存草稿 comes back
            data, comment = saved.data, saved.comment
    errors = errors or {}
    summary = forms_render.error_summary(form, errors) if form else [
        (k, m, "") for k, ms in errors.items() for m in ms]
    return render_template(
        "pages/intake.html", villages=villages, procs=procs, village=village,
        proc_key=proc_key, form=form, data=data or {}, errors=errors, summary=summary,
        comment=comment, conflict=conflict,
        running_case=cases_visible(conflict.case_id) if conflict else None, **local,
    ), status


@pages.get("/cases/new")
def intake():
    """The start form; `?household=<id>` (the household page's "发起退出") fills in the
    household's head ID number, so an exit names a household on the roll."""
    household_id = request.args.get("household", "")
    if household_id.isdigit() and len(household_id) < 10:
        found, _cases = households.history(db.session, actor(), int(household_id))
        return _page(request.args, {households.HEAD_FIELD: found.head_id_number})
    return _page(request.args)


@pages.post("/cases/new")
def intake_submit():
    """Start the case; a bad value brings the form back with every error beside its field."""
    villages, procs = _choices()
    village_code = request.form.get("village", "")
    proc_key = request.form.get("procedure", "")
    village = next((v for v in villages if v.code == village_code), None)
    if village is None or proc_key not in dict(procs):
        return _page(request.form, errors={"village": [_("请选择村（居）和事项")]},
                     status=status_for(Invalid))
    version = procedures.newest_for(db.session, proc_key, village)
    form = procedures.form_of(version, procedures.model_of(version).start_form)
    typed = forms_render.parse(form, request.form)  # for a re-render: files are not kept
    comment = request.form.get("comment", "").strip()
    if request.form.get("action") == "draft":  # 保存草稿: kept as typed, never validated
        drafts.save_intake(db.session, actor(), proc_key, village_code, typed,
                           comment[:drafts.MAX_COMMENT])
        flash(_("草稿已保存（附件需在提交时重新选择）"), "success")
        return redirect(url_for("pages.intake", village=village_code, procedure=proc_key))
    uploads = Uploads()
    try:
        data = forms_render.parse(form, request.form, request.files, uploads.add)
        case = cases.start(db.session, actor(), proc_key, village_code, data, comment=comment,
                           uploads=uploads.items)
    except Invalid as err:
        return _page(request.form, typed, err.fields, comment, status=status_for(err))
    except households.RunningCase as err:  # the form stays, with a link to the running case
        return _page(request.form, typed, None, comment, status=status_for(err), conflict=err)
    finished_form(drafts.intake_key(proc_key, village_code))
    flash(_("已受理：案件 #%(id)s（%(name)s）", id=case.id, name=case.applicant_name), "success")
    return redirect(url_for("pages.case", case_id=case.id))


def cases_visible(case_id: int) -> int | None:
    """The case's id when the official may see it (for a link), else None."""
    try:
        scope.visible_case(db.session, actor(), case_id)
    except NotFound:
        return None
    return case_id
