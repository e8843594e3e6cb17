"""Cases: start one, search, read one with its history."""

from engine.casework import cases
from engine.data import crosscheck

from ..extensions import db
from . import actor, api, schemas, views


@api.post("/cases")
@api.arguments(schemas.CaseStart)
@api.alt_response(201, schema=schemas.CaseDetail, success=True)
def start_case(data):
    """Start a case for a household of a village with its application form data."""
    case = cases.start(db.session, actor(), data["procedure"], data["village"],
                       data["application"], comment=data["comment"] or "")
    return views.case_detail(cases.detail(db.session, actor(), case.id)), 201


@api.get("/cases")
@api.arguments(schemas.CaseQuery, location="query")
@api.alt_response(200, schema=schemas.CaseRow(many=True), success=True)
def search_cases(args):
    """Cases the caller's org may see, filtered by status, village code or a name."""
    found = cases.search(db.session, actor(), status=args.get("status") or None,
                         village=args.get("village") or None, q=args.get("q") or None,
                         limit=args["limit"], offset=args["offset"])
    return [views.case_row(c) for c in found]


@api.get("/cases/<int:case_id>")
@api.alt_response(200, schema=schemas.CaseDetail, success=True)
def get_case(case_id: int):
    """One case with application, open tasks and history."""
    return views.case_detail(cases.detail(db.session, actor(), case_id))


@api.post("/cases/<int:case_id>/extend")
@api.arguments(schemas.CaseExtend)
@api.alt_response(200, schema=schemas.CaseDetail, success=True)
def extend_case(data, case_id: int):
    """Extend the case to its maximum limit (e.g. 45 working days) with a recorded reason."""
    cases.extend(db.session, actor(), case_id, data["reason"] or "")
    return views.case_detail(cases.detail(db.session, actor(), case_id))


@api.post("/cases/<int:case_id>/crosscheck/<int:hit_id>/explanation")
@api.arguments(schemas.HitExplanation)
@api.alt_response(200, schema=schemas.CrosscheckHit, success=True)
def explain_hit(data, case_id: int, hit_id: int):
    """Explain one cross-check hit in writing (district officials of the case); a district
    approve is refused (422, field `crosscheck`) while any hit is unexplained."""
    found = crosscheck.explain(db.session, actor(), case_id, hit_id, data["text"] or "")
    return views.hit(found)
