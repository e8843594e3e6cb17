"""A household's file (家庭档案) for its page: members, benefit, the standard it is measured
against, its cases, their history and cross-check hits, as the actor may see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.casework import hits
from engine.money import households, standards
from engine.store.models import AuditEvent, CaseMember, HumanTask, Standard, User
from engine.time import calendar, clock


@dataclass
class HouseholdFile:
    summary: households.Summary
    members: list[CaseMember]  # as its newest visible case names them
    standard: Standard | None  # the dibao standard in force today for its village
    # every visible case's events in the order they happened (by id: a simulated clock may
    # go backwards, so their timestamps may not be in order)
    history: list[AuditEvent]
    crosscheck: list[hits.Hit]
    # the steps done in the visible cases, for naming each outcome in the history
    done_tasks: list[HumanTask] = field(default_factory=list)


def read(db: Session, actor: User, household_id: int, now: datetime | None = None,
         history_limit: int = 300) -> HouseholdFile:
    """The household's page; NotFound when the actor may see none of its cases."""
    found = households.summary(db, actor, household_id)
    case_ids = [c.id for c in found.cases]
    members: list[CaseMember] = []
    if case_ids:
        members = list(db.scalars(select(CaseMember).where(
            CaseMember.case_id == case_ids[-1]).order_by(CaseMember.seq)))
    today = calendar.local_date(now or clock.now())
    standard = standards.in_force(db, found.household.org_path, today)
    events = list(db.scalars(select(AuditEvent).where(AuditEvent.case_id.in_(case_ids))
                             .order_by(AuditEvent.id).limit(history_limit)))
    visible = [h for h in hits.of_household(db, household_id) if h.case_id in case_ids]
    done = list(db.scalars(select(HumanTask).where(
        HumanTask.case_id.in_(case_ids), HumanTask.completed_at.is_not(None),
        HumanTask.outcome != "cancelled").order_by(HumanTask.id))) if case_ids else []
    return HouseholdFile(found, members, standard, events, visible, done)
