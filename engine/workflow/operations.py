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

from engine.money import standards
from engine.store import amounts
from engine.workflow import sandbox

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
    """Routes service tasks to registered operations (and reports their errors properly), and
    gives expressions the region's standard (`standard_monthly`, `standard_yearly`, in force on
    the day they run) and exact money (engine/store/amounts.py)."""

    def evaluate(self, task, expression, external_context=None):
        """Conditions and decision-table entries: over the task data with floats as exact
        Amounts, plus the standard when the expression reads it (it wins over stale data)."""
        try:
            context = {**amounts.exact(task.data), **standards.visible(expression)}
        except standards.NoStandard as exc:
            raise WorkflowTaskException(str(exc), task=task) from exc
        return self.evaluate_in(task, expression, context, external_context)

    def execute(self, task, script, external_context=None):
        """Scripts: the standard too, where the data has no value of that name."""
        try:
            given = {k: v for k, v in standards.visible(script).items() if k not in task.data}
        except standards.NoStandard as exc:
            raise WorkflowTaskException(str(exc), task=task) from exc
        return super().execute(task, script, {**given, **(external_context or {})})

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
        return json.dumps(result, ensure_ascii=False, default=amounts.as_json)


# Modules that register operations; imported last so that they can import `operation`.
from engine.money import benefits, programs, standard_operations  # noqa: E402,F401
