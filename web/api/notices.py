"""Public notices and objections: no login, no personal data beyond what the rules allow."""

from flask import request

from engine import notices

from ..extensions import db
from . import api, body, views


@api.get("/notices")
def public_notices():
    """Cases under public notice in an org: name, household size, proposed amount, period."""
    org = request.args.get("org", "")
    return [views.public_notice(n) for n in notices.public_list(db.session, org)]


@api.post("/notices/<int:notice_id>/objections")
def object_to_notice(notice_id: int):
    """Object to a notice; the case goes to re-investigation where the procedure says so."""
    data = body()
    objection = notices.object_to(db.session, notice_id, str(data.get("reason") or ""),
                                  str(data.get("contact") or ""), str(data.get("name") or ""),
                                  request.remote_addr or "unknown")
    return {"id": objection.id, "status": "received"}, 201
