"""Public notices and objections: no login, no personal data beyond what the rules allow."""

from flask import request

from engine.casework import notices

from ..extensions import db
from . import api, schemas, views


@api.get("/notices")
@api.doc(security=[])
@api.arguments(schemas.NoticeQuery, location="query")
@api.alt_response(200, schema=schemas.Notice(many=True), success=True)
def public_notices(args):
    """Cases under public notice in an org: name, household size, proposed amount, period."""
    return [views.public_notice(n) for n in notices.public_list(db.session, args["org"])]


@api.post("/notices/<int:notice_id>/objections")
@api.doc(security=[])
@api.arguments(schemas.Objection)
@api.alt_response(201, schema=schemas.ObjectionReceived, success=True)
def object_to_notice(data, notice_id: int):
    """Object to a notice; the case goes to re-investigation where the procedure says so."""
    objection = notices.object_to(db.session, notice_id, data["reason"] or "",
                                  data["contact"] or "", data["name"] or "",
                                  request.remote_addr or "unknown")
    return {"id": objection.id, "status": "received"}, 201
