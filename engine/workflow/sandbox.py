"""SpiffWorkflow's script engine for Yimen: designer text runs in the interpreter, never in
Python's `eval`/`exec`.

Every condition, script, timer, service parameter and DMN entry SpiffWorkflow evaluates goes
through `SandboxEnvironment` (expressions.py defines the language, interpreter.py runs it).
Scripts write what they assign into the task data only when they finish, and only plain data.
`ScriptEngine` reports failures in Chinese, naming the expression or script line. The names
other modules used from here (`check`, `UnsafeScript`…) stay available.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.workflow import timer_values
from engine.workflow.expressions import (
    FUNCTIONS,
    HELPERS,
    SIZED,
    ExpressionError,
    LimitExceeded,
    UnsafeScript,
    check,
    measure,
    parsed,
)
from engine.workflow.interpreter import MAX_STORED, Interpreter, storable

__all__ = ["ExpressionError", "LimitExceeded", "SandboxEnvironment", "ScriptEngine",
           "UnsafeScript", "check"]


# ---------------------------------------------------------------- SpiffWorkflow environment


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's script environment, with every evaluation in the Interpreter.

    `helpers` adds names for every evaluation: callables become functions designers may
    call, other values read-only names. SpiffWorkflow's `external_context` (DMN input values,
    data objects, or what the engine passes) is read the same way, below the case data."""

    def __init__(self, helpers: dict[str, Any] | None = None):
        super().__init__({**HELPERS, **(helpers or {})})
        self.functions = {**FUNCTIONS, **{k: v for k, v in self.globals.items() if callable(v)}}
        self.values = {k: v for k, v in self.globals.items() if not callable(v)}

    def _interpreter(self, source: str, scopes: list[dict[str, Any]],
                     external_context: dict[str, Any] | None) -> Interpreter:
        functions = self.functions
        if external_context:
            extra = {k: v for k, v in external_context.items() if callable(v)}
            if extra:
                functions = {**functions, **extra}
            scopes.append({k: v for k, v in external_context.items() if not callable(v)})
        scopes.append(self.values)
        return Interpreter(functions, scopes, source)

    def evaluate(self, expression, context, external_context=None):
        tree = parsed(expression, "eval")
        interpreter = self._interpreter(expression, [context], external_context)
        try:
            result = interpreter.run(tree)
        finally:
            interpreter.finish()
        if isinstance(result, SIZED):  # DMN outputs and the like are stored in the case
            measure(result, MAX_STORED)
        return result

    def check_for_overwrite(self, context: dict, external_context: dict) -> None:
        """Case data that shadows a helper would make the helper uncallable: say so."""
        clash = (set(self.globals) | set(external_context)) & set(context)
        if clash:
            raise ExpressionError(
                f"案件数据中的字段与可用函数或名称重名，请改名：{'、'.join(sorted(clash))}")

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        tree = parsed(script, "exec")
        assigned: dict[str, Any] = {}
        interpreter = self._interpreter(script, [assigned, context], external_context)
        try:
            interpreter.run(tree)
        finally:
            interpreter.finish()
        for name, value in assigned.items():
            storable(name, value)
        if len(assigned) > 1:  # the bound is on what one script run stores, all together
            measure(assigned, MAX_STORED)
        context.update(assigned)
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks go through operations.ScriptEngine")


_PYTHON_ERRORS = {
    "KeyError": "字段不存在", "IndexError": "下标越界", "ZeroDivisionError": "除数为零",
    "TypeError": "类型不符", "ValueError": "取值无效", "OverflowError": "数值溢出",
    "RecursionError": "嵌套过深",
}


def reason(error: BaseException) -> str:
    """A designer-facing account of why an evaluation failed."""
    if isinstance(error, (ExpressionError, SpiffWorkflowException)):
        return str(error)
    fields = getattr(error, "fields", None)  # a helper's Invalid (engine/store/errors.py)
    if isinstance(fields, dict):
        return "；".join(str(m) for messages in fields.values() for m in messages)
    kind = type(error).__name__
    return f"{_PYTHON_ERRORS.get(kind, kind)}（{kind}: {error}）"


class ScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with errors a designer can act on, in Chinese: which
    expression or script line failed and why (an unknown name, a limit, a missing key)."""

    def evaluate(self, task, expression, external_context=None):
        return self.evaluate_in(task, expression, task.data, external_context)

    def evaluate_in(self, task, expression, context, external_context=None):
        """Evaluate over `context` (the task's data, or a view of it the engine prepares).
        A timer's value is checked here, before SpiffWorkflow parses it (timer_values.py)."""
        try:
            value = self.environment.evaluate(expression, context, external_context)
        except SpiffWorkflowException:
            raise
        except Exception as exc:
            raise WorkflowTaskException(
                f"表达式“{expression.strip()}”出错：{reason(exc)}", task=task,
                exception=exc) from exc
        timer = timer_values.for_expression(task, expression) if task is not None else None
        if timer is not None and (problem := timer_values.problem(timer, value)):
            raise WorkflowTaskException(f"定时表达式“{expression.strip()}”：{problem}", task=task)
        return value

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except SpiffWorkflowException:
            raise
        except Exception as exc:
            line = getattr(exc, "script_line", 0)
            where = f"脚本第 {line} 行" if line else "脚本"
            raise WorkflowTaskException(f"{where}出错：{reason(exc)}", task=task,
                                        exception=exc, line_number=line) from exc
