"""Drafts of task and intake forms (the caller's own), and the duplicate check on intake."""

from __future__ import annotations

from marshmallow import fields

from engine.casework import drafts, duplicates
from engine.store.models import Draft

from ..extensions import db
from . import actor, api, schemas, views


class DraftBody(schemas.Request):
    data = fields.Dict(required=True, metadata={"description": "表单中已填写的内容（不校验）"})
    comment = schemas.text()


class IntakePlace(schemas.Request):
    procedure = schemas.required_text()
    village = schemas.required_text()


class DuplicateQuery(IntakePlace):
    id_number = schemas.required_text(metadata={"description": "户主身份证号码"})


class DraftView(schemas.Response):
    form = fields.String(metadata={"description": "task:<id> 或 intake:<事项>:<村代码>"})
    data = fields.Dict()
    comment = fields.String()
    saved_at = fields.String()


class DuplicateView(schemas.Response):
    running = fields.Boolean()
    running_case_id = fields.Integer(allow_none=True)
    benefit = fields.Dict(allow_none=True)


def _draft(draft: Draft) -> dict:
    return {"form": draft.form_key, "data": draft.data, "comment": draft.comment,
            "saved_at": views.iso(draft.saved_at)}


@api.get("/tasks/<int:task_id>/draft")
@api.alt_response(200, schema=DraftView, success=True)
def get_task_draft(task_id: int):
    """The caller's own draft of the task's form; 404 when they saved none."""
    return _draft(drafts.get_task(db.session, actor(), task_id))


@api.put("/tasks/<int:task_id>/draft")
@api.arguments(DraftBody)
@api.alt_response(200, schema=DraftView, success=True)
def put_task_draft(body, task_id: int):
    """Save (replace) the caller's draft of an open task they may work."""
    return _draft(drafts.save_task(db.session, actor(), task_id, body["data"],
                                   body["comment"] or ""))


@api.delete("/tasks/<int:task_id>/draft")
@api.alt_response(204, success=True)
def delete_task_draft(task_id: int):
    """Throw away the caller's draft of the task."""
    drafts.discard_task(db.session, actor(), task_id)
    return "", 204


@api.get("/intake/draft")
@api.arguments(IntakePlace, location="query")
@api.alt_response(200, schema=DraftView, success=True)
def get_intake_draft(args):
    """The caller's own draft of the intake form for a procedure at a village; 404 if none."""
    return _draft(drafts.get_intake(db.session, actor(), args["procedure"], args["village"]))


@api.put("/intake/draft")
@api.arguments(IntakePlace, location="query")
@api.arguments(DraftBody)
@api.alt_response(200, schema=DraftView, success=True)
def put_intake_draft(args, body):
    """Save (replace) the caller's draft of the intake form for a procedure at a village."""
    return _draft(drafts.save_intake(db.session, actor(), args["procedure"], args["village"],
                                     body["data"], body["comment"] or ""))


@api.delete("/intake/draft")
@api.arguments(IntakePlace, location="query")
@api.alt_response(204, success=True)
def delete_intake_draft(args):
    drafts.discard_intake(db.session, actor(), args["procedure"], args["village"])
    return "", 204


@api.post("/intake/duplicates")
@api.arguments(DuplicateQuery)
@api.alt_response(200, schema=DuplicateView, success=True)
def check_duplicate(args):
    """Whether a household headed by `id_number` has a running case (named when the caller may
    see it) or a benefit in force (category and monthly amount), before the form is filled in.
    A POST body, so that the ID number stays out of URLs and access logs."""
    return duplicate_view(duplicates.check(db.session, actor(), args["procedure"],
                                           args["village"], args["id_number"]))


def duplicate_view(found: duplicates.Found) -> dict:
    """The JSON of a duplicate check (the intake page's own lookup answers the same)."""
    benefit = found.benefit
    return {"running": found.running, "running_case_id": found.running_case_id,
            "benefit": None if benefit is None else {
                "category": benefit.category, "category_label": benefit.category_label,
                "monthly_amount": benefit.monthly_amount,
                "effective_from": benefit.effective_from.isoformat(),
                "case_id": benefit.case_id}}
