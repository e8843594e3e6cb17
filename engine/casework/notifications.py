"""In-app notifications as an official sees them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from engine.store.models import OFFICIAL_ROLES, Notification, User
from engine.store.uow import unit_of_work
from engine.time import clock


def _mine(actor: User):
    """An org's notifications at the actor's level; an admin sees every level of their org,
    a designer none (they work no tasks, so every link would be refused)."""
    query = select(Notification).where(Notification.org_id == actor.org_id)
    if actor.role not in OFFICIAL_ROLES:
        return query.where(false())
    if actor.role != "admin":
        query = query.where(Notification.level == (actor.task_level or actor.org.level))
    return query


def recent(db: Session, actor: User, limit: int = 50) -> list[Notification]:
    return list(db.scalars(_mine(actor).order_by(Notification.id.desc()).limit(limit)))


def unread_query(actor: User):
    """The actor's notifications since they last looked (the inbox page counts it with its
    own counts, in one statement)."""
    query = _mine(actor)
    if actor.notifications_seen_at is not None:
        query = query.where(Notification.created_at > actor.notifications_seen_at)
    return query


def unread_count(db: Session, actor: User) -> int:
    return db.scalar(select(func.count()).select_from(unread_query(actor).subquery()))


def mark_seen(db: Session, actor: User, now: datetime | None = None) -> None:
    with unit_of_work(db):
        db.merge(actor).notifications_seen_at = now or clock.now()
