"""Cases: start one, search, read one with its history."""

from flask import request

from engine import cases

from ..extensions import db
from . import actor, api, body, query_int, views


@api.post("/cases")
def start_case():
    """Start a case for a household of a village with its application form data."""
    data = body()
    case = cases.start(db.session, actor(), str(data.get("procedure") or ""),
                       str(data.get("village") or ""), data.get("application"),
                       comment=str(data.get("comment") or ""))
    return views.case_detail(cases.detail(db.session, actor(), case.id)), 201


@api.get("/cases")
def search_cases():
    """Cases the caller's org may see, filtered by status, village code or a name."""
    found = cases.search(db.session, actor(), status=request.args.get("status") or None,
                         village=request.args.get("village") or None,
                         q=request.args.get("q") or None,
                         limit=query_int("limit", 50, 1, 200), offset=query_int("offset", 0))
    return [views.case_row(c) for c in found]


@api.get("/cases/<int:case_id>")
def get_case(case_id: int):
    """One case with application, open tasks and history."""
    return views.case_detail(cases.detail(db.session, actor(), case_id))


@api.post("/cases/<int:case_id>/extend")
def extend_case(case_id: int):
    """Extend the case to its maximum limit (e.g. 45 working days) with a recorded reason."""
    cases.extend(db.session, actor(), case_id, str(body().get("reason") or ""))
    return views.case_detail(cases.detail(db.session, actor(), case_id))
