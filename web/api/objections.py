"""Officials answer the public's objections to a case's notices."""

from engine import objections

from ..extensions import db
from . import actor, api, body, views


@api.post("/cases/<int:case_id>/objections/<int:objection_id>/reply")
def reply_to_objection(case_id: int, objection_id: int):
    """Record the reply to one objection (once); it enters the case's history."""
    text = body().get("text")
    found = objections.reply(db.session, actor(), case_id, objection_id,
                             text if isinstance(text, str) else "")
    return views.objection(found)
