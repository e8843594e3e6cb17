"""Operations a BPMN service task may call (spiffworkflow:serviceTaskOperator id="…").

Designers cannot write Python, so the few things a procedure may ask the engine to do are
registered here by name. Each runs inside the step's transaction with the case at hand.
Deploy refuses a service task naming an operation that is not registered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from . import sandbox

Operation = Callable[..., dict[str, Any]]
OPERATIONS: dict[str, Operation] = {}
WITH_DATA: set[str] = set()  # operations that also receive the task's data as `data`
_context: ContextVar[tuple[Any, Any, Any] | None] = ContextVar("yimen_operation", default=None)


def operation(name: str, with_data: bool = False) -> Callable[[Operation], Operation]:
    def register(fn: Operation) -> Operation:
        OPERATIONS[name] = fn
        if with_data:
            WITH_DATA.add(name)
        return fn
    return register


@contextmanager
def bound(db, case, now) -> Iterator[None]:
    token = _context.set((db, case, now))
    try:
        yield
    finally:
        _context.reset(token)


class ScriptEngine(sandbox.ScriptEngine):
    """Routes service tasks to registered operations (and reports their errors properly)."""

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        fn = OPERATIONS.get(operation_name or "")
        context = _context.get()
        if fn is None or context is None:
            raise WorkflowTaskException(f"未知的服务操作：{operation_name}", task=task)
        params = {k: v["value"] for k, v in (operation_params or {}).items()}
        if operation_name in WITH_DATA:
            params["data"] = task.data
        db, case, now = context
        try:
            result = fn(db, case, now, **params)
        except (TypeError, ValueError) as exc:  # bad parameters from the model
            raise WorkflowTaskException(f"服务操作 {operation_name}：{exc}", task=task) from exc
        return json.dumps(result, ensure_ascii=False)


# Modules that register operations; imported last so that they can import `operation`.
from . import benefits  # noqa: E402,F401
