"""Stored workflow state: the spec left out (restored from the cache), history pruned,
exact amounts kept as decimal text, zlib-compressed JSON."""

from __future__ import annotations

import json
import zlib
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG

from engine.store import amounts
from engine.store.errors import ModelError
from engine.workflow.spiff.model import (
    SCRIPT_ENGINE,
    ProcessModel,
)


class _LeanWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the spec out of stored state; restore expects the cached spec objects."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec, subs = dct.pop("spec"), dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_SERIALIZER = BpmnWorkflowSerializer(
    BpmnWorkflowSerializer.configure({**DEFAULT_CONFIG, BpmnWorkflow: _LeanWorkflowConverter})
)
# The converter registry, for SpiffWorkflow's spec diff and migration (spiff_versions.py).
REGISTRY = _SERIALIZER.registry
# Exact amounts in task data (decision outputs, engine/store/amounts.py) keep their decimal text.
_DECIMAL = "__decimal__"


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _decode(dct: dict) -> Any:
    return amounts.Amount(dct[_DECIMAL]) if len(dct) == 1 and _DECIMAL in dct else dct


def _prune_history(wf: BpmnWorkflow) -> None:
    """Drop finished tasks above the point where the unfinished ones diverge.

    SpiffWorkflow keeps every task it ever ran, so a case returned for rework twenty times
    would carry twenty laps of tree and get slower with each. What officials did is kept in
    task rows and the audit trail; the workflow needs only what can still run. The task
    just above the divergence is kept (re-hung under the root) so data carries over.
    """
    unfinished = wf.get_tasks(state=TaskState.NOT_FINISHED_MASK)
    if not unfinished:
        return

    def chain(task) -> list:
        out = []
        while task is not None:
            out.append(task)
            task = task.parent
        return out[::-1]

    lca = None
    for nodes in zip(*map(chain, unfinished), strict=False):
        if any(n is not nodes[0] for n in nodes):
            break
        lca = nodes[0]
    root = wf.task_tree
    keep = lca.parent or lca
    if keep is root or keep.parent is root:
        return
    kept, stack = {root.id}, [keep]
    while stack:
        task = stack.pop()
        kept.add(task.id)
        stack.extend(task.children)
    for task_id in [t for t in wf.tasks if t not in kept]:
        del wf.tasks[task_id]
    root._children, keep._parent = [keep.id], root.id


def dump(wf: BpmnWorkflow) -> bytes:
    """The workflow as stored. Task data a script left in a form JSON cannot hold (a generator,
    a function, NaN) is the model's fault: a ModelError, so nothing is stored."""
    _prune_history(wf)
    try:
        payload = json.dumps(_SERIALIZER.to_dict(wf), separators=(",", ":"),
                             ensure_ascii=False, allow_nan=False, default=_encode)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ModelError(f"流程数据无法保存（脚本留下了无法保存的值）：{exc}") from exc
    return zlib.compress(payload.encode("utf-8"), 6)


def load(blob: bytes, model: ProcessModel) -> BpmnWorkflow:
    text = zlib.decompress(blob)
    dct = json.loads(text, object_hook=_decode) if _DECIMAL.encode() in text else json.loads(text)
    dct["spec"], dct["subprocess_specs"] = model.spec, model.subprocess_specs
    wf = _SERIALIZER.from_dict(dct)
    wf.script_engine = SCRIPT_ENGINE
    return wf
