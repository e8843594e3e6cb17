"""Public notices (公示) and the public's objections to them.

A notice row opens when a case's workflow starts waiting on a notice timer and closes when
the timer fires ("passed") or an objection sends the case back ("objected"). The public
list shows only what the rules allow: name, household size, proposed amount, the period.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.casework import moves
from engine.people.orgs import by_code
from engine.store import audit
from engine.store.errors import Conflict, Invalid, NotFound, TooManyRequests
from engine.store.models import (
    Notice,
    Notification,
    Objection,
)
from engine.store.uow import unit_of_work
from engine.time import clock
from engine.workflow import spiff

OBJECTIONS_PER_HOUR = 5


def public_list(db: Session, org_code: str, now: datetime | None = None) -> list[Notice]:
    """Open notices of cases under an org (village, township or district), for anyone."""
    if not (org_code or "").strip():
        raise Invalid({"org": ["需要提供机构代码 org"]}, "需要提供机构代码 org")
    org = by_code(db, org_code)
    return list(db.scalars(
        select(Notice)
        .where(Notice.closed_at.is_(None), Notice.org_path.startswith(org.path, autoescape=True))
        .order_by(Notice.ends_at, Notice.id)
        .limit(500)
    ))


def get(db: Session, notice_id: int) -> Notice:
    """One notice, open or closed; callers show only what `public_list` shows."""
    found = db.get(Notice, notice_id)
    if found is None:
        raise NotFound("公示不存在")
    return found


def client_key(address: str) -> str:
    """Objectors are rate-limited by a hash of their address, which is never stored in clear."""
    return hashlib.sha256(f"yimen-objection:{address}".encode()).hexdigest()


def object_to(db: Session, notice_id: int, reason: str, contact: str, name: str,
              address: str, now: datetime | None = None) -> Objection:
    """Record an objection; if the procedure catches objections, send the case back."""
    now = now or clock.now()
    problems: dict[str, list[str]] = {}
    reason, contact, name = (reason or "").strip(), (contact or "").strip(), (name or "").strip()
    if not reason:
        problems["reason"] = ["请填写异议理由"]
    elif len(reason) > 2000:
        problems["reason"] = ["异议理由不能超过 2000 字"]
    if not contact:
        problems["contact"] = ["请留下联系方式，以便核实和答复"]
    elif len(contact) > 200:
        problems["contact"] = ["联系方式不能超过 200 字"]
    if len(name) > 100:
        problems["name"] = ["姓名不能超过 100 字"]
    with unit_of_work(db):
        notice = get(db, notice_id)
        if problems:
            raise Invalid(problems)
        if notice.closed_at is not None:
            raise Conflict("该公示已结束，不再受理异议")
        key = client_key(address)
        recent = db.scalar(select(func.count()).select_from(Objection).where(
            Objection.client_key == key, Objection.at > now - timedelta(hours=1)))
        if recent >= OBJECTIONS_PER_HOUR:
            raise TooManyRequests("提交过于频繁，请一小时后再试")
        case = notice.case
        objection = Objection(notice_id=notice.id, case_id=case.id, at=now, name=name,
                              contact=contact, reason=reason, client_key=key)
        db.add(objection)

        def step(wf, context) -> bool:
            objection.routed = spiff.send_objection(
                wf, {"reason": reason, "at": now.isoformat()}, context)
            audit.record(db, now, None, "notice.objection", case=case, step=notice.step,
                         comment=reason)
            db.add(Notification(org_id=notice.org_id, level=notice.org.level, kind="objection",
                                case_id=case.id, message=f"{case.applicant_name}户{notice.name}"
                                f"期间收到异议：{reason[:100]}", created_at=now))
            return objection.routed

        moves.move(db, case, now, step, notice_outcome="objected")
    return objection

