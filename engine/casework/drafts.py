"""Drafts (草稿): an official's unsubmitted form, saved when they press 保存草稿.

A draft is the official's alone: one per user and form (a task's form, or the intake form of a
procedure at a village). Only its owner reads it; another official gets "not found" for the
task's draft even when they may work the task. Drafts hold personal data, so they are never
written to the audit trail or the logs, and they are deleted when the task is completed (every
official's draft of it) or when the owner opens the case from the intake form.
Values are kept as typed: a draft is work in progress and is not validated.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.casework import intake, tasks
from engine.people import scope
from engine.store.errors import Invalid, NotFound
from engine.store.models import Draft, HumanTask, User
from engine.store.uow import unit_of_work
from engine.time import clock

MAX_BYTES = 256 * 1024  # far above any form's typed values; bounds what one row may hold
MAX_COMMENT = 2000
NO_DRAFT = "没有保存的草稿"


def task_key(task_id: int) -> str:
    return f"task:{task_id}"


def intake_key(procedure_key: str, village_code: str) -> str:
    return f"intake:{procedure_key}:{village_code}"


def _checked(data: Any, comment: Any) -> tuple[dict[str, Any], str]:
    """The draft's values as JSON and its comment, bounded (Invalid otherwise)."""
    if not isinstance(data, dict):
        raise Invalid({"data": ["草稿内容应为对象"]})
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise Invalid({"comment": [f"意见不能超过 {MAX_COMMENT} 字"]})
    text = json.dumps(data, ensure_ascii=False, default=str)
    if len(text.encode()) > MAX_BYTES:
        raise Invalid({"data": [f"草稿内容过大（不能超过 {MAX_BYTES // 1024} KB）"]})
    return json.loads(text), comment


def _mine(db: Session, actor: User, key: str) -> Draft | None:
    return db.scalar(select(Draft).where(Draft.user_id == actor.id, Draft.form_key == key))


def _put(db: Session, actor: User, key: str, task: HumanTask | None, data: Any, comment: Any,
         now: datetime) -> Draft:
    values, note = _checked(data, comment)
    draft = _mine(db, actor, key)
    if draft is None:
        draft = Draft(user_id=actor.id, form_key=key, task_id=task.id if task else None)
        db.add(draft)
    draft.data, draft.comment, draft.saved_at = values, note, now
    db.flush()
    return draft


def _workable_task(db: Session, actor: User, task_id: int) -> HumanTask:
    """The task if the actor may work it (404 unseen, 403 not theirs); an ended one has no
    draft (404)."""
    task = tasks.load_for_work(db, actor, task_id)
    if task.completed_at is not None:
        raise NotFound("该事项已办结，没有草稿")
    return task


def save_task(db: Session, actor: User, task_id: int, data: Any, comment: Any = "",
              now: datetime | None = None) -> Draft:
    """Keep the actor's typed values of a task's form (replacing their earlier draft)."""
    now = now or clock.now()
    with unit_of_work(db):
        task = _workable_task(db, actor, task_id)
        draft = _put(db, actor, task_key(task.id), task, data, comment, now)
    return draft


def task_draft(db: Session, actor: User, task_id: int) -> Draft | None:
    """The actor's own draft of the task, None when they saved none."""
    _workable_task(db, actor, task_id)
    return _mine(db, actor, task_key(task_id))


def get_task(db: Session, actor: User, task_id: int) -> Draft:
    """The actor's own draft of the task; NotFound when there is none."""
    draft = task_draft(db, actor, task_id)
    if draft is None:
        raise NotFound(NO_DRAFT)
    return draft


def discard_task(db: Session, actor: User, task_id: int) -> None:
    """Delete the actor's draft of the task (nothing when there is none)."""
    with unit_of_work(db):
        _workable_task(db, actor, task_id)
        db.execute(delete(Draft).where(Draft.user_id == actor.id,
                                       Draft.form_key == task_key(task_id)))


def _intake_place(db: Session, actor: User, procedure_key: str, village_code: str) -> str:
    """The intake draft's key, if the actor may take in `procedure_key` at the village."""
    scope.require_official(actor)
    village, _version = intake.place(db, actor, procedure_key, village_code)
    return intake_key(procedure_key, village.code)


def save_intake(db: Session, actor: User, procedure_key: str, village_code: str, data: Any,
                comment: Any = "", now: datetime | None = None) -> Draft:
    """Keep the actor's typed values of an intake form (one per procedure and village)."""
    now = now or clock.now()
    with unit_of_work(db):
        key = _intake_place(db, actor, procedure_key, village_code)
        draft = _put(db, actor, key, None, data, comment, now)
    return draft


def intake_draft(db: Session, actor: User, procedure_key: str,
                 village_code: str) -> Draft | None:
    """The actor's own intake draft for the procedure and village, None when none."""
    return _mine(db, actor, _intake_place(db, actor, procedure_key, village_code))


def get_intake(db: Session, actor: User, procedure_key: str, village_code: str) -> Draft:
    draft = intake_draft(db, actor, procedure_key, village_code)
    if draft is None:
        raise NotFound(NO_DRAFT)
    return draft


def discard_intake(db: Session, actor: User, procedure_key: str, village_code: str) -> None:
    with unit_of_work(db):
        key = _intake_place(db, actor, procedure_key, village_code)
        db.execute(delete(Draft).where(Draft.user_id == actor.id, Draft.form_key == key))


def forget_intake(db: Session, actor: User, procedure_key: str, village_code: str) -> None:
    """In the caller's transaction: the case is opened, so the actor's intake draft goes."""
    db.execute(delete(Draft).where(Draft.user_id == actor.id,
                                   Draft.form_key == intake_key(procedure_key, village_code)))
