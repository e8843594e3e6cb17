"""Operations a BPMN service task may call (spiffworkflow:serviceTaskOperator id="…"), and the
script engine that runs them and every expression with the step's context.

Designers cannot write Python, so the few things a procedure may ask the engine to do are
registered here by name, by the packages that own them (`@operation`): this registry imports
none of them. Whoever builds the app, the worker or the CLI registers them first
(`engine.money.register()`, called by web/__init__.py `create_app` and engine/demo.py); deploy
refuses a service task naming an operation that is not registered. Each runs inside the step's
transaction with the step's session, case and instant (engine/workflow/bridge.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from engine.store import amounts
from engine.time import calendar, clock
from engine.workflow import bridge, sandbox

Operation = Callable[..., dict[str, Any]]
OPERATIONS: dict[str, Operation] = {}
WITH_DATA: set[str] = set()  # operations that also receive the task's data as `data`
# Operations that act on the whole region the case was started for (a standard, every
# household's top-up): a procedure calling one is a region's procedure, started at a region.
REGIONAL: set[str] = set()


def operation(name: str, with_data: bool = False,
              regional: bool = False) -> Callable[[Operation], Operation]:
    """Register `fn(db, case, now, **params)` as the service operation `name`."""
    def register(fn: Operation) -> Operation:
        OPERATIONS[name] = fn
        if with_data:
            WITH_DATA.add(name)
        if regional:
            REGIONAL.add(name)
        return fn
    return register


def is_regional(spec: Any, subprocess_specs: dict[str, Any]) -> bool:
    """Whether a process (or a subprocess of it) calls a regional operation."""
    for each in (spec, *subprocess_specs.values()):
        for task_spec in each.task_specs.values():
            if getattr(task_spec, "operation_name", None) in REGIONAL:
                return True
    return False


def _bare(name: str) -> Callable[..., str]:
    def call(*args: Any) -> str:
        return calendar.expression_functions(None, (), clock.now())[name](*args)
    return call


# The calendar functions designer text may call. A step's context brings its own (its day,
# its case's regions); outside one (a bare workflow) they count nationally from the engine
# clock's day, on the calendar years already cached.
BARE_FUNCTIONS = {name: _bare(name) for name in calendar.EXPRESSION_FUNCTIONS}


class ScriptEngine(sandbox.ScriptEngine):
    """Routes service tasks to registered operations (and reports their errors properly), and
    gives expressions the step's values (the region's standard, `standard_monthly` and
    `standard_yearly`, in force on the day they run), its calendar functions and exact money
    (engine/store/amounts.py), all from the step's context (engine/workflow/bridge.py)."""

    @staticmethod
    def _step(task, source: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The step's values an expression reads (by its text) and its calendar functions."""
        ctx = bridge.context()
        if ctx is None:
            return {}, {}
        try:
            return ctx.values(source), ctx.functions
        except bridge.Unavailable as exc:
            raise WorkflowTaskException(str(exc), task=task) from exc

    def evaluate(self, task, expression, external_context=None):
        """Conditions and decision-table entries: over the task data with floats as exact
        Amounts, plus the step's values when the expression reads them (they win over stale
        data)."""
        values, functions = self._step(task, expression)
        context = {**amounts.exact(task.data), **values}
        return self.evaluate_in(task, expression, context,
                                {**functions, **(external_context or {})})

    def execute(self, task, script, external_context=None):
        """Scripts: the step's values too, where the data has no value of that name."""
        values, functions = self._step(task, script)
        given = {k: v for k, v in values.items() if k not in task.data}
        return super().execute(task, script, {**functions, **given, **(external_context or {})})

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        fn = OPERATIONS.get(operation_name or "")
        ctx = bridge.context()
        if fn is None or ctx is None or ctx.case is None:
            raise WorkflowTaskException(f"未知的服务操作：{operation_name}", task=task)
        params = {k: v["value"] for k, v in (operation_params or {}).items()}
        if operation_name in WITH_DATA:
            params["data"] = task.data
        try:
            result = fn(ctx.db, ctx.case, ctx.now, **params)
        except (TypeError, ValueError) as exc:  # bad parameters from the model
            raise WorkflowTaskException(f"服务操作 {operation_name}：{exc}", task=task) from exc
        return json.dumps(result, ensure_ascii=False, default=amounts.as_json)
