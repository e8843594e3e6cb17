"""Stored workflow state: the spec left out (restored from the cache), history pruned,
exact amounts kept as decimal text, zlib-compressed JSON.

A case's state is compressed with a preset dictionary: SpiffWorkflow's task frame, the
case's own application, which the workflow's root data repeats and which is kept, never
rewritten, on the case (its digest is audited), and the forms submitted so far, which the
workflow's data repeats and which are kept, never rewritten, in the case's task rows (their
digests are audited too). The root data then costs a few bytes instead of some 500, and the
forms' fields a few bytes each, so a submitted form is stored once. The zlib header says
whether a dictionary was used (FDICT) and which (its Adler-32): states stored without one, or
against the application alone, still load, and a wrong application or form is refused.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
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
from engine.store.canonical import canonical
from engine.store.errors import ModelError
from engine.workflow.spiff import ids
from engine.workflow.spiff.model import (
    SCRIPT_ENGINE,
    ProcessModel,
)


class _LeanWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the spec out of stored state; restore expects the cached spec objects. Keeps
    the workflow's task numbering (ids.py): a state stored without one starts its own."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        numbering = ids.of(workflow)
        stored = numbering.stored() if numbering is not None else None
        if stored is not None:
            dct[TASK_IDS] = stored
        return dct

    def from_dict(self, dct):
        spec, subs = dct.pop("spec"), dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        stored = dct.pop(TASK_IDS, None)
        ids.number_tasks(workflow, ids.TaskIds.restored(stored) if stored else None)
        return workflow


TASK_IDS = "task_ids"  # the stored state's key for the task numbering (ids.py)


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


# Never change these bytes: every state stored with a dictionary depends on them.
_FRAME = (b'"delta":{"updates":{},"deletions":[]},"typename":"Task"},"{"id":"","parent":"",'
          b'"children":[""],"last_state_change":17,"state":64,"task_spec":"","triggered":false,'
          b'"internal_data":{},"data":{},"delta":{"updates":{},"deletions":[]},"typename":"Task"}')
_FDICT = 0x20  # the zlib header's flag: compressed with a preset dictionary


# A case's submitted forms, oldest first (task row id order), as the task rows keep them.
Forms = Sequence[dict[str, Any]]


def dictionary(application: dict[str, Any], forms: Forms = ()) -> bytes:
    """The preset dictionary of a case's state: the task frame, the application as sorted,
    compact JSON (sorted, so that JSONB's key order gives the same bytes back), then each
    submitted form as canonical JSON (engine/store/canonical.py: the same bytes however the
    database gave the form back)."""
    head = _FRAME + json.dumps(application, ensure_ascii=False, sort_keys=True,
                               separators=(",", ":"), default=_encode).encode("utf-8")
    if not forms:
        return head
    return head + "".join(canonical(form) for form in forms).encode("utf-8")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _in_form_order(tasks: dict[str, dict], forms: Forms) -> None:
    """Task data keys in the order the dictionary's forms name them, so that a form's fields
    match it in one run; keys no form names keep their order, after them."""
    rank: dict[str, int] = {}
    for form in forms:
        for key in sorted(form):
            rank.setdefault(key, len(rank))
    last = len(rank)

    def ordered(data: dict) -> dict:
        return {k: data[k] for k in sorted(data, key=lambda k: rank.get(k, last))}

    for task in tasks.values():
        if len(task.get("data") or ()) > 1:
            task["data"] = ordered(task["data"])
        delta = task.get("delta")
        if delta and len(delta.get("updates") or ()) > 1:
            delta["updates"] = ordered(delta["updates"])


def dump(wf: BpmnWorkflow, application: dict[str, Any] | None = None,
         forms: Forms = ()) -> bytes:
    """The workflow as stored, compressed against the case's `application` and its submitted
    `forms` when given. Task data a script left in a form JSON cannot hold (a generator, a
    function, NaN) is the model's fault: a ModelError, so nothing is stored."""
    _prune_history(wf)
    dct = _SERIALIZER.to_dict(wf)
    root = dct["tasks"].get(dct["root"])
    if forms:
        _in_form_order(dct["tasks"], forms)
    if root is not None:  # in the dictionary's key order, so that it matches whole
        root["data"] = _sorted(root["data"])
    try:
        payload = json.dumps(dct, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                             default=_encode).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise ModelError(f"流程数据无法保存（脚本留下了无法保存的值）：{exc}") from exc
    if application is None:
        return zlib.compress(payload, 6)
    return compress(payload, application, forms)


def compress(payload: bytes, application: dict[str, Any], forms: Forms = ()) -> bytes:
    """State JSON compressed against its case's application and forms (also for the migration
    that recompresses states stored before)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY,
                              dictionary(application, forms))
    return packer.compress(payload) + packer.flush()


def decompress(blob: bytes, application: dict[str, Any] | None = None,
               forms: Forms = ()) -> bytes:
    """The state's JSON; a state compressed against an application needs that application,
    and the forms it was compressed against when it was (states stored before forms were
    part of the dictionary name the application's alone in their header)."""
    if not blob[1] & _FDICT:
        return zlib.decompress(blob)
    if application is None:
        raise ValueError("this workflow state was compressed against its case's application")
    zdict = dictionary(application)
    if forms and zlib.adler32(zdict) != int.from_bytes(blob[2:6], "big"):
        zdict = dictionary(application, forms)
    unpacker = zlib.decompressobj(zdict=zdict)
    return unpacker.decompress(blob) + unpacker.flush()


def load(blob: bytes, model: ProcessModel, application: dict[str, Any] | None = None,
         forms: Forms = ()) -> BpmnWorkflow:
    """The stored workflow against the cached spec; `application` and `forms` are the case's."""
    text = decompress(blob, application, forms)
    dct = json.loads(text, object_hook=_decode) if _DECIMAL.encode() in text else json.loads(text)
    dct["spec"], dct["subprocess_specs"] = model.spec, model.subprocess_specs
    wf = _SERIALIZER.from_dict(dct)
    wf.script_engine = SCRIPT_ENGINE
    return wf
