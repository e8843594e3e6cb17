"""One precomputed first state per procedure version, for opening many cases at once.

A bulk start (the yearly review of 100,000 households, engine/casework/bulk.py) would run
SpiffWorkflow once per household although every household reaches the same first wait by the
same path when that path reads no data: a start event, merging gateways with one
unconditioned way out, and no pre- or post-scripts. For such a procedure the workflow is run
once with a marker application; its stored JSON is split at the marker and at every task id,
and a household's state is that text with its application and fresh task ids put back. The
result is what `start` + `dump` store for it, except the task creation times; `verify` checks
that on a real application before a template is used.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
from SpiffWorkflow.bpmn.specs.defaults import ExclusiveGateway, ParallelGateway, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition

from engine.store.errors import ModelError
from engine.workflow.spiff import ids, storage
from engine.workflow.spiff.model import ProcessModel
from engine.workflow.spiff.running import ready_user_tasks, start

MARKER_KEY = "__yimen_bulk_template__"
_DATA = json.dumps({MARKER_KEY: "x"}, separators=(",", ":"))
_KEYS = json.dumps([MARKER_KEY], separators=(",", ":"))


@dataclass(frozen=True)
class StartTemplate:
    """The stored state of a procedure's first wait, split where a household's values go."""

    parts: tuple[str, ...]  # literal text, then a token, then literal text, ...
    task_ids: tuple[str, ...]  # the template's task ids, in the order they appear
    ready: tuple[tuple[str, str], ...]  # (step id, template task id) of each open user task

    def render(self, application: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """A household's stored state, and the new id of each template task id."""
        ids = dict(zip(self.task_ids, _uuid4s(len(self.task_ids)), strict=True))
        values = {_DATA: _json(application), _KEYS: _json(list(application)), **ids}
        text = "".join(part if n % 2 == 0 else values[part]
                       for n, part in enumerate(self.parts))
        return zlib.compress(text.encode("utf-8"), 6), ids


def _uuid4s(count: int) -> list[str]:
    """`count` random version-4 UUIDs as text, from one read of the system's randomness
    (uuid.uuid4() one by one was a third of a household's rendering)."""
    text = os.urandom(16 * count).hex()
    return [f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"
            for h in (text[n * 32:(n + 1) * 32] for n in range(count))]


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                      default=storage._encode)


def _passes_through(task) -> bool:
    """A step SpiffWorkflow ran on its own that cannot read or change the data."""
    spec = task.task_spec
    if getattr(spec, "prescript", None) or getattr(spec, "postscript", None):
        return False
    if isinstance(spec, BpmnStartTask):
        return True
    if isinstance(spec, StartEvent):
        return isinstance(spec.event_definition, NoneEventDefinition)
    if isinstance(spec, ExclusiveGateway):
        return len(spec.outputs) == 1 and all(c is None for c, _ in spec.cond_task_specs)
    return isinstance(spec, ParallelGateway)


def build(model: ProcessModel) -> StartTemplate | None:
    """The procedure's template, or None when its way to the first wait may depend on the
    household (a script, a condition, a timer, a notice): those start one by one."""
    try:
        wf = start(model, {MARKER_KEY: "x"}, None)
    except (ModelError, Exception):  # a start that needs a real application or a context
        return None
    ready = ready_user_tasks(wf)
    finished = wf.get_tasks(state=TaskState.FINISHED_MASK)
    waiting = wf.get_tasks(state=TaskState.WAITING | TaskState.STARTED | TaskState.ERROR)
    if not ready or waiting or not all(_passes_through(t) for t in finished):
        return None
    if any(getattr(t.task_spec, "prescript", None) for t in ready):
        return None
    ids.forget(wf)  # a household's state gets its own ids and starts its numbering on load
    text = zlib.decompress(storage.dump(wf)).decode("utf-8")
    task_ids = tuple(str(t) for t in wf.tasks)
    pattern = "|".join(re.escape(token) for token in (_DATA, _KEYS, *task_ids))
    parts = tuple(re.split(f"({pattern})", text))
    return StartTemplate(parts, task_ids,
                         tuple((t.task_spec.bpmn_id, str(t.id)) for t in ready))


def _comparable(blob: bytes, ids: dict[str, str] | None = None) -> Any:
    """A stored state as JSON, creation times left out, task ids as in `ids` (new → old)."""
    text = zlib.decompress(blob).decode("utf-8")
    for new, old in (ids or {}).items():
        text = text.replace(new, old)
    state = json.loads(text)
    state.pop(storage.TASK_IDS, None)  # the template leaves numbering to the household's first load
    for task in state["tasks"].values():
        task["last_state_change"] = 0
    return state


def verify(template: StartTemplate, model: ProcessModel, application: dict[str, Any]) -> bool:
    """Whether the template gives what running the workflow gives for this application."""
    try:
        wf = start(model, dict(application), None)
    except Exception:  # noqa: BLE001 - any failure means: do not use the template
        return False
    real = storage.dump(wf)
    real_ids = [str(t) for t in wf.tasks]
    if len(real_ids) != len(template.task_ids):
        return False
    mine, ids = template.render(application)
    back = {ids[old]: real for old, real in zip(template.task_ids, real_ids, strict=True)}
    return _comparable(mine, back) == _comparable(real)
