"""Deployed procedures: list, details with start form and steps, deploy a bundle."""

from engine.store.errors import BundleInvalid
from engine.workflow import procedures

from ..extensions import db
from . import actor, api, schemas, views


@api.get("/procedures")
@api.alt_response(200, schema=schemas.Procedure(many=True), success=True)
def list_procedures():
    """Every deployed procedure version, newest version of each first."""
    return [views.procedure(v) for v in procedures.list_versions(db.session)]


@api.get("/procedures/<key>")
@api.arguments(schemas.RegionQuery, location="query")
@api.alt_response(200, schema=schemas.ProcedureDetail, success=True)
def procedure(args, key: str):
    """The newest version's details, with its start form and its steps."""
    version = procedures.newest_in_region(db.session, key, args.get("region"))
    model = procedures.model_of(version)
    return {
        **views.procedure(version),
        "start_form": procedures.form_of(version, model.start_form).describe(),
        "steps": views.steps(model),
    }


@api.post("/procedures")
@api.arguments(schemas.Deploy, location="files")
@api.alt_response(201, schema=schemas.Procedure(many=True), success=True)
def deploy(upload):
    """Deploy a bundle (multipart: region, files); 201 with the new versions or 422."""
    if not upload["files"]:
        raise BundleInvalid(["请上传至少一个 .bpmn 文件（字段名 files）"])
    files = procedures.uploaded((u.filename or f"file{i}", u.read())
                                for i, u in enumerate(upload["files"]))
    versions = procedures.deploy(db.session, actor(), upload["region"], files)
    return [views.procedure(v) for v in versions], 201
