"""Deployed procedures: list, details with start form and steps, deploy a bundle."""

from flask import request

from engine import procedures
from engine.errors import BundleInvalid

from ..extensions import db
from . import actor, api, views


@api.get("/procedures")
def list_procedures():
    """Every deployed procedure version, newest version of each first."""
    return [views.procedure(v) for v in procedures.list_versions(db.session)]


@api.get("/procedures/<key>")
def procedure(key: str):
    """The newest version's details, with its start form and its steps."""
    version = procedures.newest_in_region(db.session, key, request.args.get("region"))
    model = procedures.model_of(version)
    return {
        **views.procedure(version),
        "start_form": procedures.form_of(version, model.start_form).describe(),
        "steps": views.steps(model),
    }


@api.post("/procedures")
def deploy():
    """Deploy a bundle (multipart: region, files); 201 with the new versions or 422."""
    uploads = request.files.getlist("files")
    if not uploads:
        raise BundleInvalid(["请上传至少一个 .bpmn 文件（字段名 files）"])
    files = {u.filename or f"file{i}": u.read() for i, u in enumerate(uploads)}
    versions = procedures.deploy(db.session, actor(), request.form.get("region", ""), files)
    return [views.procedure(v) for v in versions], 201
