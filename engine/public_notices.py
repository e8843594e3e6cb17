"""Public notice reads beside `engine.notices.public_list`: one notice, for the page where the
public objects to it, and the org a public list is for."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import Notice, OrgUnit


def notice(db: Session, notice_id: int) -> Notice:
    """The notice, open or closed; callers show only what `public_list` shows."""
    found = db.get(Notice, notice_id)
    if found is None:
        raise NotFound("公示不存在")
    return found


def org(db: Session, org_code: str) -> OrgUnit:
    """The org whose notices a public page lists, by its code."""
    found = db.scalar(select(OrgUnit).where(OrgUnit.code == org_code))
    if found is None:
        raise NotFound(f"机构代码 {org_code} 不存在")
    return found
