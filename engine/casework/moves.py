"""The one function that moves a case: every change to a case's workflow goes through here.

`move` loads the case's workflow, snapshots what it waits on, runs one step (completing a
task, firing timers, an objection, a migration) with the step's context, and saves: state,
task rows, notice rows, the case's end and its benefit (engine.casework.instances.save), all
in the caller's unit of work; the step itself writes its own audit entries. `start` is the
same for a case's first step. The context is built here, once per step (`context_for`):
the session, the case, the instant, the case's regions and the standard in force for it that
day; SpiffWorkflow's callbacks reach it only through engine/workflow/bridge.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.casework import instances
from engine.money import standards
from engine.store.models import Case, HumanTask, ProcedureVersion, ProcessInstance
from engine.workflow import procedures, spiff
from engine.workflow.bridge import StepContext

# A step: runs SpiffWorkflow on the loaded workflow with the context; returning False means
# the workflow did not move (nothing is saved), anything else that it did.
Step = Callable[[Any, StepContext], Any]


def context_for(db: Session, case: Case, now: datetime) -> StepContext:
    """What a step of `case` runs with: its instant, regions, and its region's standard in
    force that day (looked up only if designer text reads it)."""
    return StepContext(db, now, case, instances.region_codes(case),
                       standards.reader(db, case.org_path, now))


def move(db: Session, case: Case, now: datetime, step: Step, *,
         instance: ProcessInstance | None = None, to: spiff.ProcessModel | None = None,
         done: HumanTask | None = None, notice_outcome: str = "passed",
         forms: instances.Forms | None = None) -> list[HumanTask] | None:
    """Run `step` on the case's workflow and save everything it changed; returns the case's
    open tasks, or None when the step reports it did not move the workflow.

    `instance` is the case's, when the caller has it loaded; `to` is the model to save the
    workflow as (a migration; else the case's own); `done` the task row the step completes (it
    is neither kept open nor cancelled here); `notice_outcome` how a notice the step ended
    closes ("passed", or "objected"); `forms` the case's submitted forms, when the caller
    loaded them with the task (instances.forms_beside_task).
    """
    if instance is None:  # Case.instance and Case.procedure never load lazily
        instance = db.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    model = procedures.model_of(db.get(ProcedureVersion, case.procedure_version_id))
    if forms is None:
        forms = instances.submitted_forms(db, case)
    wf = instances.load(case, instance.state, model, forms)
    before = instances.snapshot(wf)
    if step(wf, context_for(db, case, now)) is False:
        return None
    if done is None:
        open_before = instances.open_rows(db, case)
    elif len(before.ready) > 1:  # parallel branches: the case has other open rows
        open_before = [row for row in instances.open_rows(db, case) if row.id != done.id]
    else:
        open_before = []
    if done is not None:  # the form it was completed with is the case's newest
        forms = instances.forms_of([*forms, (done.id, done.data)])
    return instances.save(db, case, instance, to or model, wf, before, open_before, now,
                          notice_outcome, forms)


def start(db: Session, case: Case, now: datetime, model: spiff.ProcessModel,
          application: dict[str, Any]) -> list[HumanTask]:
    """Start a new case's workflow with its application and save it like any move: its
    first open tasks."""
    wf = spiff.start(model, application, context_for(db, case, now))
    instance = ProcessInstance(case_id=case.id, state=b"", serializer_version="",
                               updated_at=now)
    db.add(instance)
    return instances.save(db, case, instance, model, wf, instances.EMPTY, [], now)
