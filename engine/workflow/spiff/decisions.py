"""Decision tables outside and inside a running case: evaluated in bulk, and what they gave."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.store.errors import ModelError
from engine.workflow import bridge
from engine.workflow.bridge import StepContext
from engine.workflow.spiff.model import (
    SCRIPT_ENGINE,
    ProcessModel,
)


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


def decisions_at(wf: BpmnWorkflow, workflow_task_id: str,
                 model: ProcessModel) -> dict[str, Any]:
    """What the decision tables gave, as the ready task `workflow_task_id` sees it."""
    task = wf.get_task_from_id(UUID(workflow_task_id))
    data = task.data if task is not None else {}
    return {name: data[name] for name in decision_outputs(model) if name in data}
