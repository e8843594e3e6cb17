"""Objections to a case's notices as its officials see them, and the official's reply.

The public gives a reason, a name and how to be reached (notices.object_to); the thanks
page promises an answer. These are personal data: only officials who may see the case read
them, never a public page. The reply is kept on the objection and in the case's history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.people import scope
from engine.store import audit
from engine.store.errors import Conflict, Forbidden, Invalid, NotFound
from engine.store.models import Objection, User
from engine.store.uow import unit_of_work
from engine.time import clock

# The third-party assessor checks facts for a step; answering the public is the government's.
REPLY_ROLES = ("clerk", "village", "township", "district", "admin")
MAX_REPLY = 2000


def of_case(db: Session, case_id: int) -> list[Objection]:
    """A case's objections, oldest first; the caller has checked that the actor sees the case."""
    return list(db.scalars(select(Objection).where(Objection.case_id == case_id)
                           .order_by(Objection.at, Objection.id)))


def reply(db: Session, actor: User, case_id: int, objection_id: int, text: str,
          now: datetime | None = None) -> Objection:
    """Record an official's answer to an objection, once, with an entry in the history."""
    now = now or clock.now()
    text = (text or "").strip()
    with unit_of_work(db):
        case = scope.visible_case(db, actor, case_id)
        objection = db.get(Objection, objection_id)
        if objection is None or objection.case_id != case.id:
            raise NotFound("异议不存在")
        if actor.role not in REPLY_ROLES:
            raise Forbidden("第三方评估人员不答复异议，请由经办机关答复")
        if not text:
            raise Invalid({"text": ["请填写答复内容"]})
        if len(text) > MAX_REPLY:
            raise Invalid({"text": [f"答复内容不能超过 {MAX_REPLY} 字"]})
        if objection.reply is not None:
            raise Conflict("该异议已经答复")
        objection.reply, objection.replied_at, objection.replied_by = text, now, actor
        audit.record(db, now, actor, "objection.replied", case=case,
                     step=objection.notice.step, comment=text,
                     changes={"objection_id": objection.id})
    return objection
