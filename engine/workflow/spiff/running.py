"""Running a workflow: starting, completing a step, firing timers, notices and objections,
and reading how it ended.

Each call that runs the model takes the step's `context` (engine/workflow/bridge.py), which
its expressions, service operations and timers see; None only for a bare workflow (tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.store import amounts
from engine.time import clock
from engine.workflow.bridge import StepContext
from engine.workflow.spiff import ids
from engine.workflow.spiff.model import (
    SCRIPT_ENGINE,
    ProcessModel,
    _definitions,
    _notice_of,
    end_status,
    model_errors,
)


def start(model: ProcessModel, application: dict[str, Any],
          context: StepContext | None = None) -> BpmnWorkflow:
    """A new workflow with the application as its data, run up to its first wait."""
    with ids.numbered() as numbering:
        wf = BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=SCRIPT_ENGINE)
    ids.number_tasks(wf, numbering)
    first = wf.get_next_task(state=TaskState.READY)
    first.set_data(**application)
    with model_errors(context):
        wf.do_engine_steps()
    return wf


def ready_user_tasks(wf: BpmnWorkflow) -> list:
    return wf.get_tasks(state=TaskState.READY, manual=True)


def find_ready(wf: BpmnWorkflow, workflow_task_id: str):
    task = wf.get_task_from_id(UUID(workflow_task_id))
    if task is None or task.state != TaskState.READY:
        return None
    return task


def complete(wf: BpmnWorkflow, workflow_task_id: str, data: dict[str, Any],
             context: StepContext | None = None) -> bool:
    """Run one ready user task with the form data and every engine step after it."""
    task = find_ready(wf, workflow_task_id)
    if task is None:
        return False
    task.set_data(**data)
    with model_errors(context):
        task.run()
        wf.do_engine_steps()
    return True


def fire_timers(wf: BpmnWorkflow, context: StepContext | None = None) -> None:
    """Fire whatever timers are due at the step's instant and run on."""
    with model_errors(context):
        wf.refresh_timers()
        wf.do_engine_steps()


def _timer_value(task) -> datetime | None:
    if not any(isinstance(d, TimerEventDefinition) for d in _definitions(task)):
        return None
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):  # cycle timers keep their next firing
        value = value.get("next")
    try:
        return clock.as_utc(datetime.fromisoformat(value)) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class WaitingNotice:
    step: str
    ends_at: datetime | None
    proposed_amount: Decimal | None


@dataclass(frozen=True)
class Waits:
    """What a workflow waits on: its ready user tasks by id (in tree order), the public
    notices by step id, and the instant its earliest timer falls due."""

    ready: dict[str, Any]
    notices: dict[str, WaitingNotice]
    next_timer_at: datetime | None


def waits(wf: BpmnWorkflow) -> Waits:
    """What the workflow waits on, read in one walk of its tree (a move reads it before and
    after its step; each walk visits every task).

    A notice's amount is what an official decided (`amount`, as the approval recorded it)
    before the tables' proposal: the district's 公告 after 批准 publishes the approved
    figure, not the earlier proposal."""
    ready: dict[str, Any] = {}
    notices: dict[str, WaitingNotice] = {}
    timers: list[datetime] = []
    for task in wf.get_tasks(state=TaskState.READY | TaskState.WAITING):
        if task.state == TaskState.READY:
            if task.task_spec.manual:
                ready[str(task.id)] = task
            continue
        due = _timer_value(task)
        if due is not None:
            timers.append(due)
        step = _notice_of(task)
        if step:
            value = amounts.number(task.data.get("amount"))
            if value is None:
                value = amounts.number(task.data.get("proposed_amount"))
            notices[step] = WaitingNotice(step, due,
                                          amounts.fen(value) if value is not None else None)
    return Waits(ready, notices, min(timers) if timers else None)


OBJECTION_MESSAGE = "objection"


def send_objection(wf: BpmnWorkflow, payload: dict[str, Any],
                   context: StepContext | None = None) -> bool:
    """Deliver an objection to the notice the workflow waits on, if the model catches one."""
    for task in wf.get_tasks(state=TaskState.WAITING):
        for definition in _definitions(task):
            if (isinstance(definition, MessageEventDefinition)
                    and definition.name == OBJECTION_MESSAGE):
                with model_errors(context):
                    wf.send_event(BpmnEvent(definition, payload,
                                            definition.get_correlations(task, payload)))
                    wf.do_engine_steps()
                return True
    return False


def final_status(wf: BpmnWorkflow) -> str | None:
    """approved/rejected/… once the workflow has finished, from the end event it reached."""
    if not wf.is_completed():
        return None
    for task in wf.get_tasks(state=TaskState.COMPLETED):
        if isinstance(task.task_spec, EndEvent) and task.workflow is wf:
            status = end_status(task.task_spec.bpmn_id or "")
            if status:
                return status
    return "approved" if wf.success else "rejected"


def final_data(wf: BpmnWorkflow) -> dict[str, Any]:
    """The data the workflow finished with (that of its last completed end event)."""
    ends = [t for t in wf.get_tasks(state=TaskState.COMPLETED)
            if isinstance(t.task_spec, EndEvent) and t.workflow is wf]
    return dict(ends[-1].data) if ends else dict(wf.data)
