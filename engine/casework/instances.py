"""Keeping a case's rows in step with its workflow after every move (engine.casework.moves).

After SpiffWorkflow runs, the ready manual tasks are the open human tasks: rows are closed
for tasks that left READY and opened (with level, org and due date) for new ones; notice
rows open and close with the notice timers the workflow waits on; the state, next timer and
case status are written on the same objects, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session, aliased

from engine.money import benefits, deregistration
from engine.store import audit
from engine.store import cache as row_cache
from engine.store.errors import Invalid
from engine.store.models import (
    LEVEL_NAMES,
    Case,
    Draft,
    HumanTask,
    Notice,
    OrgUnit,
    ProcessInstance,
)
from engine.store.pairs import json_pairs
from engine.time import calendar
from engine.workflow import spiff


@dataclass(frozen=True)
class Snapshot:
    """What a workflow was waiting on before a move: to tell what the move opened and closed."""

    ready: frozenset[str]
    notices: frozenset[str]


EMPTY = Snapshot(frozenset(), frozenset())


def snapshot(wf) -> Snapshot:
    waits = spiff.waits(wf)
    return Snapshot(frozenset(waits.ready), frozenset(waits.notices))


# A case's submitted forms with their task rows' ids, oldest first: what its stored workflow
# state is compressed against besides its application (engine.workflow.spiff.storage).
Forms = list[tuple[int, dict[str, Any]]]


def forms_of(rows: Iterable[Any]) -> Forms:
    """The submitted forms among (task row id, data) pairs, in id order."""
    return sorted(((int(i), data) for i, data in rows if isinstance(data, dict)),
                  key=itemgetter(0))


def submitted_forms(db: Session, case: Case) -> Forms:
    return forms_of(db.execute(select(HumanTask.id, HumanTask.data).where(
        HumanTask.case_id == case.id, HumanTask.data.is_not(None))))


def forms_beside_task():
    """The submitted forms of a loaded task's case, as a column of the same query
    (`with_expression(HumanTask.case_forms, ...)`; read with `forms_of`)."""
    row = aliased(HumanTask)
    return select(json_pairs(row.id, row.data)).where(
        row.case_id == HumanTask.case_id, row.data.is_not(None)).scalar_subquery()


def load(case: Case, state: bytes, model: spiff.ProcessModel, forms: Forms):
    """The case's stored workflow (compressed against its application and `forms`)."""
    return spiff.load(state, model, case.application, [data for _, data in forms])


def open_rows(db: Session, case: Case) -> list[HumanTask]:
    return list(db.scalars(select(HumanTask).where(
        HumanTask.case_id == case.id, HumanTask.completed_at.is_(None))))


def region_codes(case: Case) -> tuple[str, ...]:
    """The case's ancestors, outermost first: whose local calendar days apply to it."""
    return calendar.regions_of(case.org_path)


def due_or_unknown(db: Session, case: Case, start: datetime, working_days: int | None,
                   calendar_days: int | None = None) -> tuple[datetime | None, str]:
    """A due time on the case's calendar, or None and why (a year not covered yet: the
    import of that year dates it later, engine/casework/deadlines.py)."""
    try:
        return calendar.due_at(start, working_days, calendar_days, region_codes(case), db), ""
    except calendar.YearNotCovered as exc:
        return None, str(exc)


class _Attached(dict):
    """The cached orgs by level, each attached to the session only when asked for (a merge
    per org actually used, not per ancestor)."""

    def __init__(self, db: Session, found: dict[str, OrgUnit]):
        super().__init__()
        self._db, self._found = db, found

    def get(self, level: str, default: OrgUnit | None = None) -> OrgUnit | None:
        if level not in self._found:
            return default
        if not dict.__contains__(self, level):
            self[level] = row_cache.attach(self._db, self._found[level])
        return dict.get(self, level)

    def __getitem__(self, level: str) -> OrgUnit:
        found = self.get(level)
        if found is None:
            raise KeyError(level)
        return found

    # A mapping of every cached level, as the plain dict it replaced was (bulk opening reads
    # them all): each attached when first read.
    def __contains__(self, level: object) -> bool:
        return level in self._found

    def __iter__(self):
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)

    def keys(self):
        return self._found.keys()

    def items(self):
        return [(level, self[level]) for level in self._found]

    def values(self):
        return [self[level] for level in self._found]


def _orgs_by_level(db: Session, org_path: str) -> dict[str, OrgUnit]:
    """The case's ancestors by level and its district's assessor org, cached per process
    (engine.store.cache: an org change is seen by the next transaction)."""
    found = row_cache.lookup(db, "orgs_by_level", org_path, lambda: _load_orgs(db, org_path))
    return _Attached(db, found)


def _load_orgs(db: Session, org_path: str) -> dict[str, OrgUnit]:
    """The ancestors by level and the district's assessor org, in one query."""
    codes = [c for c in org_path.split("/") if c]
    districts = select(OrgUnit.id).where(OrgUnit.code.in_(codes), OrgUnit.level == "district")
    rows = db.scalars(
        select(OrgUnit)
        .where(or_(OrgUnit.code.in_(codes),
                   and_(OrgUnit.level == "assessor", OrgUnit.parent_id.in_(districts))))
        .order_by(OrgUnit.id)
    ).all()
    out: dict[str, OrgUnit] = {}
    for org in rows:
        out.setdefault(org.level, org)
    return out


def open_rows_for(db: Session, case: Case, model: spiff.ProcessModel, ready: list,
                  now: datetime, orgs) -> list[HumanTask]:
    """New human-task rows for ready workflow tasks, routed to the org of their lane."""
    if not ready:
        return []
    orgs = orgs()
    rows = []
    for task in ready:
        step = model.steps[task.task_spec.bpmn_id]
        org = orgs.get(step.level or "")
        if org is None:
            raise Invalid({"org": [
                f"步骤“{step.name}”需由{LEVEL_NAMES.get(step.level or '', step.level)}办理，"
                "但案件所在村的上级中没有该层级机构（第三方需在区下登记评估机构）"
            ]}, "机构设置不完整，无法流转")
        due, unknown = due_or_unknown(db, case, now, step.due_working_days, step.due_days)
        if unknown:
            audit.record(db, now, None, "deadline.unknown", case=case, step=step.id,
                         comment=unknown)
        row = HumanTask(
            case_id=case.id,
            workflow_task_id=str(task.id),
            step=step.id,
            name=step.name,
            own_form_key=HumanTask.stored_form_key(step.id, step.form_key),
            level=step.level or "",
            org=org,
            created_at=now,
            due_at=due,
        )
        db.add(row)
        rows.append(row)
    return rows


def sync_notices(db: Session, case: Case, model: spiff.ProcessModel,
                 before: frozenset[str],
         waiting: dict[str, spiff.WaitingNotice], now: datetime,
         orgs: Callable[[], dict[str, OrgUnit]], outcome: str = "passed") -> None:
    """Open rows for notices the workflow began waiting on; close those it left."""
    for step in waiting.keys() - before:
        info, notice_step = waiting[step], model.steps.get(step)
        org = orgs().get(notice_step.level if notice_step else "") or orgs().get("village")
        db.add(Notice(case=case, step=step, name=notice_step.name if notice_step else step,
                      org=org, org_path=case.org_path, proposed_amount=info.proposed_amount,
                      starts_at=now, ends_at=info.ends_at))
    left = before - waiting.keys()
    if not left:
        return
    for notice in db.scalars(select(Notice).where(
            Notice.case_id == case.id, Notice.step.in_(left), Notice.closed_at.is_(None))):
        notice.closed_at, notice.outcome = now, outcome
        audit.record(db, now, None, "timer.fired" if outcome == "passed" else "notice.objected",
                     case=case, step=notice.step,
                     comment=f"{notice.name}期满无异议" if outcome == "passed"
                     else f"{notice.name}收到异议，转入重新调查或评议")


def save(db: Session, case: Case, instance: ProcessInstance, model: spiff.ProcessModel, wf,
         before: Snapshot, open_before: list[HumanTask], now: datetime,
         notice_outcome: str = "passed", forms: Forms = ()) -> list[HumanTask]:
    """Write the workflow back (compressed against the case's submitted `forms`, the one this
    move completed included) and sync task and notice rows; returns the case's open tasks."""
    orgs = cache(lambda: _orgs_by_level(db, case.org_path))
    waits = spiff.waits(wf)
    ready_now, waiting = waits.ready, waits.notices
    if ready_now.keys() - before.ready or waiting.keys() - before.notices:
        with db.no_autoflush:  # read before writing: one flush at commit, not two
            orgs()
    still_open, cancelled = [], []
    for row in open_before:
        if row.workflow_task_id in ready_now and row.completed_at is None:
            still_open.append(row)
        elif row.completed_at is None:
            row.completed_at, row.outcome = now, "cancelled"
            cancelled.append(row.id)
    if cancelled:  # their drafts (engine.casework.drafts) hold personal data: gone with them
        db.execute(delete(Draft).where(Draft.task_id.in_(cancelled)))
    new = [t for tid, t in ready_now.items() if tid not in before.ready]
    opened = open_rows_for(db, case, model, new, now, orgs)
    sync_notices(db, case, model, before.notices, waiting, now, orgs, notice_outcome)
    instance.state = spiff.dump(wf, case.application, [data for _, data in forms])
    instance.serializer_version = spiff.SERIALIZER_VERSION
    instance.next_timer_at = waits.next_timer_at  # pruning (dump) keeps every waiting task
    instance.updated_at = now
    status = spiff.final_status(wf)
    if status and case.status == "running":
        case.status, case.closed_at = status, now
        audit.record(db, now, None, f"case.{status}", case=case)
        if status == "approved":
            benefits.on_approved(db, case, spiff.final_data(wf), now, model.decision_names)
        elif status == "exited":  # every exit stops the household's benefit, and 销号
            benefits.end_for(db, case, now)
            deregistration.record(db, case, spiff.final_data(wf), now)
    return still_open + opened
