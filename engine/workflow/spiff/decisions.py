"""Decision tables outside and inside a running case: evaluated in bulk, and what they gave."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from uuid import UUID

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.store.errors import ModelError
from engine.workflow import bridge
from engine.workflow.bridge import StepContext
from engine.workflow.spiff.model import (
    SCRIPT_ENGINE,
    ProcessModel,
)
from engine.workflow.spiff.running import final_data


class _Facts:
    """The little of a task (and its workflow) that a decision table and its errors read."""

    def __init__(self, decision_id: str, data: dict[str, Any]) -> None:
        self.data = data
        self.task_spec = SimpleNamespace(bpmn_name=decision_id, bpmn_id=decision_id)
        self.workflow = self.top_workflow = self
        self.spec = SimpleNamespace(file="")
        self.script_engine = SCRIPT_ENGINE


def decide(model: ProcessModel, decision_ids: list[str], data: dict[str, Any],
           context: StepContext | None = None) -> dict[str, Any]:
    """Evaluate decisions of the model's bundle in turn, each seeing the ones before and
    what `context` gives designer text (the region's standard on the day they apply).

    Returns the data with every decision's outputs merged in. A decision the bundle does not
    have, or one that fails or matches no rule, is a ModelError.
    """
    facts = dict(data)
    for decision_id in decision_ids:
        engine = model.decisions.get(decision_id)
        if engine is None:
            raise ModelError(f"流程包中没有决策表 {decision_id}")
        try:
            with bridge.calling(context):
                facts.update(engine.result(_Facts(decision_id, facts)))
        except SpiffWorkflowException as exc:
            raise ModelError(f"{decision_id}：{exc}") from exc
    return facts


def decision_outputs(model: ProcessModel) -> list[str]:
    """The output names of the bundle's decision tables, in table order."""
    names: list[str] = []
    for engine in model.decisions.values():
        for output in engine.decision_table.outputs:
            if output.name and output.name not in names:
                names.append(output.name)
    return names


def decision_labels(model: ProcessModel) -> dict[str, str]:
    """Output name -> the Chinese label the DMN gives it (the name where it has none), so that
    pages can show a table's results in the designer's own words."""
    labels: dict[str, str] = {}
    for engine in model.decisions.values():
        for output in engine.decision_table.outputs:
            if output.name and output.name not in labels:
                labels[output.name] = (output.label or "").strip() or output.name
    return labels


def latest_data(wf: BpmnWorkflow) -> dict[str, Any]:
    """The case data as it stands: a finished workflow's final data, else that of the waiting
    or ready task that changed last (where the case now is)."""
    if wf.is_completed():
        return final_data(wf)
    current = [t for t in wf.get_tasks(state=TaskState.READY | TaskState.WAITING)
               if t.workflow is wf]
    if not current:
        return dict(wf.data)
    return dict(max(current, key=lambda t: t.last_state_change).data)


def case_decisions(wf: BpmnWorkflow, model: ProcessModel) -> dict[str, Any]:
    """The latest value of each output of the case's decision tables (those it has reached)."""
    data = latest_data(wf)
    return {name: data[name] for name in decision_outputs(model) if name in data}


def data_at(wf: BpmnWorkflow, workflow_task_id: str) -> dict[str, Any]:
    """The case data as the ready task `workflow_task_id` sees it ({} if it is gone)."""
    task = wf.get_task_from_id(UUID(workflow_task_id))
    return dict(task.data) if task is not None else {}


def decisions_at(wf: BpmnWorkflow, workflow_task_id: str,
                 model: ProcessModel) -> dict[str, Any]:
    """What the decision tables gave, as the ready task `workflow_task_id` sees it."""
    data = data_at(wf, workflow_task_id)
    return {name: data[name] for name in decision_outputs(model) if name in data}
