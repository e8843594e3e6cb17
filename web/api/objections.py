"""Officials answer the public's objections to a case's notices."""

from engine.casework import objections

from ..extensions import db
from . import actor, api, schemas, views


@api.post("/cases/<int:case_id>/objections/<int:objection_id>/reply")
@api.arguments(schemas.ObjectionReply)
@api.alt_response(200, schema=schemas.ObjectionRow, success=True)
def reply_to_objection(data, case_id: int, objection_id: int):
    """Record the reply to one objection (once); it enters the case's history."""
    found = objections.reply(db.session, actor(), case_id, objection_id, data["text"] or "")
    return views.objection(found)
