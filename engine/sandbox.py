"""The restricted environment in which BPMN conditions, scripts and DMN entries run.

Designers write Python expressions; they must not reach the machine. Every source is parsed
once and refused if it imports, touches a dunder or private attribute, or names a builtin
outside the short list below. Compiled code is cached, which also makes conditions cheap.
"""

from __future__ import annotations

import ast
import builtins
import copy
import datetime as _dt
import math
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

from .money import fen  # exact Decimal, rounded half up to the fen (engine/money.py)

SAFE_BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "int",
        "isinstance", "len", "list", "map", "max", "min", "range", "reversed", "round", "set",
        "sorted", "str", "sum", "tuple", "zip", "True", "False", "None",
    )
}


class UnsafeScript(ValueError):
    """A designer's expression uses something the sandbox does not allow."""


def _age_on(birth_date: str, on: str) -> int:
    born, day = _dt.date.fromisoformat(birth_date), _dt.date.fromisoformat(on)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


HELPERS: dict[str, Any] = {
    "fen": fen,
    "age_on": _age_on,
    "ceil": math.ceil,
    "floor": math.floor,
}


def check(source: str, mode: str = "eval") -> None:
    """Raise UnsafeScript (or SyntaxError) if `source` may not run in the sandbox."""
    _compile(source, mode)


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str):
    tree = ast.parse(source, mode=mode)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)):
            raise UnsafeScript("不允许导入模块或声明全局变量")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise UnsafeScript(f"不允许访问以下划线开头的属性：{node.attr}")
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise UnsafeScript(f"不允许使用名称：{node.id}")
    return compile(tree, "<bpmn>", mode)


class SandboxEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment with checked, cached code and a short list of builtins."""

    def __init__(self, helpers: dict[str, Any] | None = None):
        super().__init__({"__builtins__": SAFE_BUILTINS, **HELPERS, **(helpers or {})})

    def evaluate(self, expression, context, external_context=None):
        my_globals = copy.copy(self.globals)
        my_globals.update(external_context or {})
        my_globals.update(context)
        my_globals["__builtins__"] = SAFE_BUILTINS
        return eval(_compile(expression.strip(), "eval"), my_globals)

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        code = _compile(script, "exec")
        my_globals = copy.copy(self.globals)
        my_globals.update(external_context or {})
        context.update(my_globals)
        try:
            exec(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True
