"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .models import AuditEvent, Case, HumanTask, User


def record(db: Session, at: datetime, actor: User | None, action: str, *, case: Case | None = None,
           task: HumanTask | None = None, step: str | None = None, comment: str = "",
           changes: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event in the caller's transaction; it commits or rolls back with the change.

    An entry about a case always carries its id (it is how the case history finds it): a case
    still pending in the session is flushed first, and one never added is a programming error.
    """
    if case is not None and case.id is None:
        db.flush()
        if case.id is None:
            raise ValueError("audit entry about a case that is not in the session")
    event = AuditEvent(
        at=at,
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "system",
        case_id=case.id if case else None,
        task_id=task.id if task else None,
        step=step or (task.step if task else None),
        action=action,
        comment=comment or "",
        changes=changes,
    )
    db.add(event)
    return event
