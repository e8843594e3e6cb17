"""One task: its form, the case it belongs to, earlier steps read-only, and submitting it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.casework import cases, drafts, hits, tasks
from engine.store.errors import Invalid
from engine.workflow import procedures

from .. import forms_render
from ..auth import actor
from ..errors import status_for
from ..extensions import db
from . import pages
from .attachments import Uploads
from .cases import case_context
from .drafts import draft_context, finished_form


def _page(task_id: int, data: dict[str, Any] | None = None,
          errors: dict[str, list[str]] | None = None, comment: str = "", status: int = 200):
    me = actor()
    d = tasks.detail(db.session, me, task_id)
    case_detail = cases.detail(db.session, me, d.case.id)
    earlier = [(t, procedures.form_of(d.case.procedure, t.form_key)) for t in d.earlier]
    errors = errors or {}
    saved = drafts.task_draft(db.session, me, task_id) if d.task.completed_at is None else None
    if data is None and saved is not None:  # the official's own 保存草稿 comes back
        data, comment = saved.data, saved.comment
    elif data is None and d.task.completed_at is None:  # 区级比对: verdicts from the hits
        data = {**d.prefill,  # fields that declare `prefill`, then cross-check verdicts
                **hits.prefill(db.session, d.case, {f.name for f in d.form.fields})}
    return render_template(
        "pages/task.html", d=d, form=d.form, data=data or {}, errors=errors,
        summary=forms_render.error_summary(d.form, errors), comment=comment, earlier=earlier,
        **draft_context(drafts.task_key(task_id), saved), **case_context(case_detail),
    ), status


@pages.get("/tasks/<int:task_id>")
def task(task_id: int):
    return _page(task_id)


@pages.post("/tasks/<int:task_id>")
def complete(task_id: int):
    """Submit the step's form; on a bad value the page comes back with every error inline."""
    me = actor()
    form = tasks.detail(db.session, me, task_id).form
    typed = forms_render.parse(form, request.form)  # for a re-render: files are not kept
    comment = request.form.get("comment", "").strip()
    if request.form.get("action") == "draft":  # 保存草稿: kept as typed, never validated
        drafts.save_task(db.session, me, task_id, typed, comment[:drafts.MAX_COMMENT])
        flash(_("草稿已保存（附件需在提交时重新选择）"), "success")
        return redirect(url_for("pages.task", task_id=task_id))
    uploads = Uploads()
    try:
        data = forms_render.parse(form, request.form, request.files, uploads.add)
        case, open_tasks = tasks.complete(db.session, me, task_id, data, comment=comment,
                                          uploads=uploads.items)
    except Invalid as err:
        return _page(task_id, typed, err.fields, comment, status=status_for(err))
    flash(_("已提交：案件 #%(id)s（%(name)s）", id=case.id, name=case.applicant_name), "success")
    finished_form(drafts.task_key(task_id))
    return redirect(url_for("pages.inbox"))
