"""Human tasks: the inbox, claiming, and completing a step (one transaction per action)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, exists, select
from sqlalchemy.orm import Session, aliased, joinedload, lazyload, with_expression

import forms
from engine.casework import attachments, hits, instances, moves
from engine.money import benefits
from engine.people import scope
from engine.store import amounts, audit
from engine.store.errors import Conflict, Forbidden, NotFound
from engine.store.models import Case, Draft, HumanTask, OrgUnit, ProcedureVersion, User
from engine.store.uow import unit_of_work
from engine.time import clock
from engine.workflow import procedures, spiff


@dataclass
class TaskDetail:
    task: HumanTask
    case: Case
    form: forms.Form
    earlier: list[HumanTask]
    # What the case's decision tables gave (eligible, proposed_amount…), for the deciding step.
    decisions: dict[str, Any] = field(default_factory=dict)
    # Initial values of fields that declare `prefill: <case variable>`, from the case data.
    prefill: dict[str, Any] = field(default_factory=dict)


def inbox_query(actor: User, step: str | None = None, overdue: bool | None = None,
                now: datetime | None = None, village: str | None = None,
                due_before: datetime | None = None, mine: bool = False):
    """Open tasks the actor's org works at the actor's level, soonest due first.

    Ordered by `(due_at IS NULL), due_at, id`, it is served by ix_human_task_inbox (org_id,
    level, (due_at IS NULL), due_at, id) WHERE completed_at IS NULL: filter and order alike.
    """
    now = now or clock.now()
    query = select(HumanTask).where(
        HumanTask.org_id == actor.org_id,
        HumanTask.level == (actor.task_level or "-"),
        HumanTask.completed_at.is_(None),
    )
    if step:
        query = query.where(HumanTask.step == step)
    if overdue is True:
        query = query.where(HumanTask.due_at < now)
    elif overdue is False:
        query = query.where((HumanTask.due_at >= now) | HumanTask.due_at.is_(None))
    if due_before:
        query = query.where(HumanTask.due_at < due_before)
    if mine:
        query = query.where(HumanTask.assignee_id == actor.id)
    if village:
        query = query.join(Case, Case.id == HumanTask.case_id).join(
            OrgUnit, OrgUnit.id == Case.village_id).where(OrgUnit.code == village)
    return query


class TaskSummary(NamedTuple):
    """A task as lists show it (the API's inbox reads only these): plain values."""

    id: int
    case_id: int
    step: str
    name: str
    level: str
    org: str  # its org's code
    due_at: datetime | None
    assignee: str | None  # the claimant's username
    created_at: datetime


_CLAIMANT = aliased(User)
_LISTED = (HumanTask.id, HumanTask.case_id, HumanTask.step, HumanTask.name, HumanTask.level,
           HumanTask.due_at, _CLAIMANT.username, HumanTask.created_at)


def inbox(db: Session, actor: User, limit: int = 50, offset: int = 0,
          **filters) -> list[TaskSummary]:
    """One page of the actor's inbox. Columns, not task objects: the tasks' org is the
    actor's own (the inbox's filter), and building 50 tasks with their joined org and
    claimant cost more than the query."""
    scope.require_official(actor)
    query = inbox_query(actor, **filters).with_only_columns(*_LISTED).outerjoin(
        _CLAIMANT, _CLAIMANT.id == HumanTask.assignee_id)
    org = actor.org.code
    return [TaskSummary(i, case_id, step, name, level, org, due, assignee, created)
            for i, case_id, step, name, level, due, assignee, created in db.execute(
                query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
                .limit(min(limit, 500)).offset(offset))]


def inbox_english_step_names(db: Session, actor: User,
                             now: datetime | None = None) -> dict[str, str]:
    """{step: English name} for the steps in the actor's inbox, each as its task's own
    procedure version names it (nameEn, else the row's name): after a deploy renames a step,
    both names are shown, as the Chinese chips show them (workspace.inbox_counts)."""
    base = inbox_query(actor, now=now or clock.now()).subquery()
    names: dict[str, set[str]] = {}
    for step, name, version_id in db.execute(
            select(base.c.step, base.c.name, Case.procedure_version_id)
            .join(Case, Case.id == base.c.case_id).distinct()):
        names.setdefault(step, set()).add(_english_name(db, version_id, step) or name)
    return {step: " / ".join(sorted(found)) for step, found in sorted(names.items())}


def english_step_name(db: Session, row: HumanTask | Any) -> str | None:
    """The English name (nameEn) of a task's or notice's step in its own case's procedure
    version; None when the version gives none. The case is usually loaded already."""
    case = db.get(Case, row.case_id)
    return _english_name(db, case.procedure_version_id, row.step) if case else None


def _english_name(db: Session, version_id: int, step: str) -> str | None:
    version = db.get(ProcedureVersion, version_id)
    return procedures.english_names(version).get(step) if version else None


# What every use of a task reads: its case, the case's workflow state and procedure version.
_WITH_CASE = (joinedload(HumanTask.case).joinedload(Case.instance),
              joinedload(HumanTask.case).joinedload(Case.procedure))
# Pages and the API's task views also show the village, the task's org and its assignee.
SHOWN = (*_WITH_CASE, joinedload(HumanTask.case).joinedload(Case.village))
# Completing reads none of those (the new tasks carry their own org): no joins for them.
FOR_COMPLETION = (*_WITH_CASE, lazyload(HumanTask.org), lazyload(HumanTask.assignee),
                  joinedload(HumanTask.case).joinedload(Case.procedure)
                  .lazyload(ProcedureVersion.region),
                  # whether a draft must be deleted, asked here: no statement when none is
                  with_expression(HumanTask.has_drafts,
                                  exists().where(Draft.task_id == HumanTask.id)),
                  # the case's submitted forms, which its stored state is compressed against
                  with_expression(HumanTask.case_forms, instances.forms_beside_task()))
# Each built once: building a statement and its cache key (the loader options above) cost
# a completion more CPU than the query's own compiled form, which SQLAlchemy caches.
_BY_ID = {options: select(HumanTask).options(*options)
          .where(HumanTask.id == bindparam("task_id"))
          for options in (SHOWN, FOR_COMPLETION)}


def _load(db: Session, actor: User, task_id: int, *, for_work: bool,
          options: tuple = SHOWN) -> HumanTask:
    """The task with its case, instance, version (and what `options` adds) in one query.

    A task whose case the actor may not see is "not found"; one they may see but not work
    is "forbidden".
    """
    statement = _BY_ID.get(options)
    if statement is None:
        statement = select(HumanTask).options(*options).where(HumanTask.id == task_id)
    task = db.scalar(statement, {"task_id": task_id})
    if task is None:
        raise NotFound("待办事项不存在")
    if scope.can_work(actor, task):
        return task
    visible = db.scalar(select(Case.id).where(Case.id == task.case_id, scope.case_filter(actor)))
    if visible is None:
        raise NotFound("待办事项不存在")
    if for_work:
        raise Forbidden("该事项不属于您的办理范围")
    return task


def load_for_work(db: Session, actor: User, task_id: int) -> HumanTask:
    """The task if the actor may work it: NotFound when they may not see it, else Forbidden."""
    return _load(db, actor, task_id, for_work=True)


def detail(db: Session, actor: User, task_id: int) -> TaskDetail:
    task = _load(db, actor, task_id, for_work=True)
    case = task.case
    earlier = db.scalars(
        select(HumanTask)
        .where(HumanTask.case_id == case.id, HumanTask.completed_at.is_not(None),
               HumanTask.outcome != "cancelled")
        .order_by(HumanTask.completed_at)
    ).all()
    form = procedures.form_of(case.procedure, task.form_key)
    decisions: dict[str, Any] = {}
    initial: dict[str, Any] = {}
    model = procedures.model_of(case.procedure)
    wanted = model.decisions or any(f.prefill for f in form.fields)
    if wanted and task.completed_at is None and case.instance is not None:
        wf = instances.load(case, case.instance.state, model,
                            instances.forms_of((t.id, t.data) for t in earlier))
        decisions = spiff.decisions_at(wf, task.workflow_task_id, model)
        initial = prefilled(form, spiff.data_at(wf, task.workflow_task_id))
    return TaskDetail(task, case, form, list(earlier), decisions, initial)


def prefilled(form: forms.Form, data: dict[str, Any]) -> dict[str, Any]:
    """Field name -> the case-data value its `prefill` names (fields whose variable is unset,
    None or empty are left out)."""
    values = {f.name: data[f.prefill] for f in form.fields
              if f.prefill and data.get(f.prefill) not in (None, "")}
    # as plain JSON (exact amounts as numbers), the way the API and the audit trail keep them
    return json.loads(json.dumps(values, default=amounts.as_json))


def _same(a: Any, b: Any) -> bool:
    """Equal as the official sees it: 1200 and 1200.0 and Decimal("1200.00") are one amount."""
    numbers = (int, float, Decimal)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return Decimal(str(a)) == Decimal(str(b))
    return a == b


def _shown(fdef: forms.FieldDef, value: Any) -> str:
    """A value as the history shows it: amounts with two decimals, a blank as （空）."""
    if value in (None, ""):
        return "（空）"
    if fdef.type == "money" and isinstance(value, int | float | Decimal):
        return f"{Decimal(str(value)):.2f}"
    return str(value)


def _record_prefill_changes(db: Session, actor: User, case: Case, task: HumanTask,
                            form: forms.Form, before: dict[str, Any], clean: dict[str, Any],
                            now: datetime) -> None:
    """One audit entry per prefilled field the official changed: field, prefilled, submitted."""
    for name, value in prefilled(form, before).items():
        submitted = clean.get(name)
        if not _same(value, submitted):
            fdef = form.field(name)
            label = fdef.label
            audit.record(db, now, actor, "task.prefill_changed", case=case, task=task,
                         comment=f"{label}：预填 {_shown(fdef, value)}，"
                                 f"提交 {_shown(fdef, submitted)}",
                         changes={"field": name, "label": label,
                                  "prefilled": value, "submitted": submitted})


def _open_for(db: Session, actor: User, task_id: int,
              held: str = "该事项已被他人认领", options: tuple = SHOWN) -> HumanTask:
    """A task the actor may work that is still open and not held by someone else (409)."""
    task = _load(db, actor, task_id, for_work=True, options=options)
    if task.completed_at is not None:
        raise Conflict("该事项已办结")
    if task.assignee_id not in (None, actor.id):
        raise Conflict(held)
    return task


def claim(db: Session, actor: User, task_id: int, now: datetime | None = None) -> HumanTask:
    now = now or clock.now()
    with unit_of_work(db):
        task = _open_for(db, actor, task_id)
        if task.assignee_id is None:
            task.assignee = actor
            audit.record(db, now, actor, "task.claimed", case=task.case, task=task)
    return task


def unclaim(db: Session, actor: User, task_id: int, now: datetime | None = None) -> HumanTask:
    now = now or clock.now()
    with unit_of_work(db):
        task = _open_for(db, actor, task_id, "该事项已被他人认领，只有认领人可以退回")
        if task.assignee_id is not None:
            task.assignee = None
            audit.record(db, now, actor, "task.unclaimed", case=task.case, task=task)
    return task


def complete(db: Session, actor: User, task_id: int, data: Any, comment: str = "",
             now: datetime | None = None,
             uploads: Sequence[attachments.Upload] = ()) -> tuple[Case, list[HumanTask]]:
    """Validate the step's form, run the workflow, write state, task rows, files and audit at
    once; `uploads` are the files this submission's form names (see engine.casework.attachments)."""
    now = now or clock.now()
    with unit_of_work(db):
        task = _open_for(db, actor, task_id, options=FOR_COMPLETION)
        case: Case = task.case
        form = procedures.form_of(case.procedure, task.form_key)
        clean = procedures.validate_form(form, data, now)
        benefits.check_submitted(db, case, clean, now)
        if task.level == "district" and clean.get("decision") == "approve":
            hits.require_explained(db, case)  # 区级比对: every hit explained first
        attachments.attach(db, actor, case, form, clean, uploads, now)

        def step(wf, context) -> None:
            _record_prefill_changes(db, actor, case, task, form,
                                    spiff.data_at(wf, task.workflow_task_id), clean, now)
            if not spiff.complete(wf, task.workflow_task_id, clean, context):
                raise Conflict("该事项已办结")
            task.assignee = actor
            task.completed_at, task.completed_by_id = now, actor.id
            task.outcome = str(clean.get("decision", "done"))
            task.data = clean
            audit.record(db, now, actor, "task.completed", case=case, task=task,
                         comment=comment, changes=audit.completed(clean, task.outcome))
            if task.has_drafts:  # engine.casework.drafts: theirs go with the task
                db.execute(delete(Draft).where(Draft.task_id == task.id))

        open_tasks = moves.move(db, case, now, step, instance=case.instance, done=task,
                                forms=instances.forms_of(task.case_forms or ())) or []
    return case, open_tasks
