"""Cross-checks (区级比对) beyond GET /api/cases/{id}: load a bureau's list, see the lists, the
review list of hits on enrolled households, and open a review or an exit from a hit."""

from engine.casework import cases
from engine.data import crosscheck
from engine.store.errors import Invalid
from engine.store.models import CrosscheckList, OrgUnit

from ..extensions import db
from . import actor, api, schemas, views


def _listed(found: CrosscheckList) -> dict:
    region = db.session.get(OrgUnit, found.region_id)
    return {"id": found.id, "source": found.source, "region": region.code,
            "rows": found.row_count, "hits": found.hit_count, "sha256": found.sha256,
            "imported_at": views.iso(found.imported_at), "imported_by": found.imported_by_name,
            "replaced_at": views.iso(found.replaced_at)}


@api.post("/crosscheck/lists")
@api.arguments(schemas.CrosscheckImport, location="files")
@api.alt_response(201, schema=schemas.CrosscheckListRow, success=True)
def import_list(upload):
    """Load a list (multipart: source, region, file) and match it; 422 lists each bad row
    (fields `rows.<line>`) and nothing is stored."""
    file = upload.get("file")
    if file is None:
        raise Invalid({"file": ["请上传名单文件（字段名 file）"]})
    found = crosscheck.import_list(db.session, actor(), upload["source"], upload["region"],
                                   file.filename or "", file.read())
    crosscheck.match(db.session, found)
    return _listed(found), 201


@api.get("/crosscheck/lists")
@api.alt_response(200, schema=schemas.CrosscheckListRow(many=True), success=True)
def lists():
    """The lists of regions under the caller's org, newest first, replaced ones included."""
    return [_listed(f) for f in crosscheck.lists(db.session, actor())]


@api.get("/crosscheck/review")
def review():
    """Hits on enrolled households (district, admin), with any case running for them."""
    return [{**views.hit(item.hit), "case_id": item.holder.id,
             "household_id": item.holder.household_id, "head_name": item.holder.applicant_name,
             "village": item.holder.village.code, "running_case_id": item.running_case_id}
            for item in crosscheck.review_list(db.session, actor())]


@api.post("/crosscheck/hits/<int:hit_id>/followup")
@api.arguments(schemas.Followup)
@api.alt_response(201, schema=schemas.CaseDetail, success=True)
def followup(data, hit_id: int):
    """Open a review (kind review) or an exit (kind exit) for the household a hit names."""
    case = crosscheck.open_followup(db.session, actor(), hit_id, data["kind"] or "")
    return views.case_detail(cases.detail(db.session, actor(), case.id)), 201
