"""The interpreter that runs checked designer text (see expressions.py for the language).

`Interpreter` walks an `ast` tree that `expressions.parsed` has checked, reusing simpleeval's
handlers for operators, subscripts and literals. Names resolve to the case data, the engine's
extra context and the helpers; functions are only called by name; generator expressions and
comprehensions are evaluated eagerly into bounded lists, so no generator or frame ever reaches
designer code. Every evaluation has an operation count (charged by the size of what it builds,
which also bounds memory) and a deadline, and the evaluations of one engine step share a time
budget (the SpiffWorkflow call they run in, engine/workflow/bridge.py). Past a bound it raises
`LimitExceeded`, which SpiffWorkflow reports and the engine turns into a ModelError (422,
nothing stored).
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import simpleeval

from engine.workflow import bridge
from engine.workflow.expressions import (
    ALLOWED_METHODS,
    MAX_LENGTH,
    OPERATORS,
    SIZED,
    ExpressionError,
    LimitExceeded,
    UndefinedName,
    UnsafeScript,
    bounded_str,
    measure,
    too_long,
)

MAX_OPERATIONS = 200_000     # interpreter steps per evaluation
TIME_BUDGET = 0.5            # seconds per evaluation
STEP_BUDGET = 1.5            # seconds of evaluation per SpiffWorkflow call (bridge.calling)
MAX_STORED = 1_000_000       # size units a script may write into the case (expressions.measure)
MAX_WEIGHT = 4_000_000       # size units of any value an evaluation builds (Interpreter._charge)

# ---------------------------------------------------------------- time budget

# Every evaluation inside one SpiffWorkflow call (one engine step, one decision) shares
# STEP_BUDGET seconds, so that a table of a thousand slow rules cannot hold a worker for a
# thousand budgets: the call's running total is engine.workflow.bridge.spent().


# ---------------------------------------------------------------- interpreter


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Interpreter(simpleeval.SimpleEval):
    """Walks a checked tree. Reuses simpleeval's handlers for operators, comparisons,
    subscripts and literals; names, calls, attributes, comprehensions, f-strings and the
    statements of scripts are Yimen's own (scoped, eager, bounded)."""

    def __init__(self, functions: dict[str, Callable[..., Any]],
                 scopes: list[dict[str, Any]], source: str):
        # simpleeval's __init__ builds per-instance tables; this one shares class tables.
        self.operators = OPERATORS
        self.functions = functions
        self.allowed_attrs = None
        self.expr = source
        self.scopes = scopes  # innermost first: comprehension scopes are pushed in front
        self.operations = 0
        spent = bridge.spent()
        self.started = time.perf_counter()
        self.deadline = self.started + (
            TIME_BUDGET if spent is None else min(TIME_BUDGET, STEP_BUDGET - spent[0]))
        if spent is not None and spent[0] >= STEP_BUDGET:
            raise LimitExceeded(f"本步骤的表达式运算超时（合计不超过 {STEP_BUDGET} 秒）")

    def finish(self) -> None:
        spent = bridge.spent()
        if spent is not None:
            spent[0] += time.perf_counter() - self.started

    def __del__(self) -> None:  # simpleeval clears its per-instance tables here
        pass

    # -- dispatch and budget

    def _eval(self, node: ast.AST) -> Any:
        self.operations += 1
        if self.operations & 63 == 0:
            self._tick()
        return _HANDLERS[type(node)](self, node)

    def _charge(self, value: Any) -> Any:
        """Building a container or string costs steps by its size (about one per 16 items),
        so the operation bound also bounds the memory one evaluation can take.

        A container is weighed whole, each shared reference counted each time
        (expressions.measure): `[[1] * 100000] * 100000` is small in memory, but one
        comparison or `max` of it would run for hours inside a single step, where no deadline
        can stop it. So no value an evaluation builds may weigh more than MAX_WEIGHT, and
        every built-in operation on it stays short."""
        if isinstance(value, (str, bytes)):
            self.operations += len(value) >> 4
        elif isinstance(value, SIZED):
            weight = measure(value, MAX_WEIGHT)
            self.operations += weight >> 7
            if weight > 1 << 16:
                self._tick()
        return value

    def _eval_binop(self, node: ast.BinOp) -> Any:
        return self._charge(self.operators[type(node.op)](
            self._eval(node.left), self._eval(node.right)))

    def _eval_compare(self, node: ast.Compare) -> Any:
        left = self._eval(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self._eval(comparator)
            if not self.operators[type(op)](left, right):
                return False
            left = right
        return True

    def _tick(self) -> None:
        if self.operations > MAX_OPERATIONS:
            raise LimitExceeded(f"运算步数超过上限（{MAX_OPERATIONS} 步），请检查循环")
        if time.perf_counter() > self.deadline:
            raise LimitExceeded(f"运算超时（单次不超过 {TIME_BUDGET} 秒），请检查循环")

    def run(self, tree: ast.AST) -> Any:
        if isinstance(tree, ast.Expression):
            return self._eval(tree.body)
        self._block(tree.body)
        return True

    # -- names, calls, attributes

    def _eval_name(self, node: ast.Name) -> Any:
        return self._lookup(node.id)

    def _lookup(self, name: str) -> Any:
        for scope in self.scopes:
            if name in scope:
                return scope[name]
        if name in self.functions:
            raise ExpressionError(f"函数 {name} 只能调用，不能作为值使用")
        raise UndefinedName(name, (n for scope in self.scopes for n in scope))

    def _eval_call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name):
            fn = self.functions.get(node.func.id)
            if fn is None:
                raise ExpressionError(f"没有名为 {node.func.id} 的函数")
        else:
            fn = self._eval_attribute(node.func)
        args = [self._eval(a) for a in node.args]
        kwargs = {k.arg: self._eval(k.value) for k in node.keywords}
        return self._charge(fn(*args, **kwargs))

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        value = self._eval(node.value)
        methods = ALLOWED_METHODS.get(type(value), {})
        if node.attr not in methods:
            raise UnsafeScript(
                f"不允许访问 {type(value).__name__} 的属性 .{node.attr}")
        wrapper = methods[node.attr]
        return getattr(value, node.attr) if wrapper is None else partial(wrapper, value)

    # -- literals that build strings

    def _eval_joinedstr(self, node: ast.JoinedStr) -> str:
        parts = [v.value if isinstance(v, ast.Constant) else self._eval(v) for v in node.values]
        if sum(len(p) for p in parts) > MAX_LENGTH:
            raise too_long("f 字符串")
        return "".join(parts)

    def _eval_formattedvalue(self, node: ast.FormattedValue) -> str:
        value = self._eval(node.value)
        if node.format_spec is None:
            return bounded_str(value)
        spec = "".join(str(v.value) for v in node.format_spec.values)  # checked constant
        plain = isinstance(value, (int, float, Decimal, str))
        return format(value if plain else bounded_str(value), spec)

    # -- containers and comprehensions

    def _eval_dict(self, node: ast.Dict) -> dict:
        return self._charge(simpleeval.EvalWithCompoundTypes._eval_dict(self, node))

    def _eval_list(self, node: ast.List) -> list:
        return self._charge([self._eval(e) for e in node.elts])

    def _eval_tuple(self, node: ast.Tuple) -> tuple:
        return self._charge(tuple(self._eval(e) for e in node.elts))

    def _eval_set(self, node: ast.Set) -> set:
        return self._charge({self._eval(e) for e in node.elts})

    def _eval_comprehension(self, node: ast.AST) -> Any:
        """Eagerly, in a scope of its own: a generator expression gives a list, never a
        generator object (whose frame would lead out)."""
        out: list = []
        scope: dict[str, Any] = {}
        self.scopes.insert(0, scope)
        try:
            self._generate(node, 0, scope, out)
        finally:
            self.scopes.pop(0)
        self._charge(out)
        if isinstance(node, ast.DictComp):
            return dict(out)
        return set(out) if isinstance(node, ast.SetComp) else out

    def _generate(self, node: Any, index: int, scope: dict, out: list) -> None:
        generator = node.generators[index]
        for item in self._eval(generator.iter):
            self._bind(generator.target, item, scope)
            for test in generator.ifs:
                if not self._eval(test):
                    break
            else:
                if index + 1 < len(node.generators):
                    self._generate(node, index + 1, scope, out)
                else:
                    out.append((self._eval(node.key), self._eval(node.value))
                               if isinstance(node, ast.DictComp) else self._eval(node.elt))
                    if len(out) > MAX_LENGTH:
                        raise too_long("推导式的结果")

    # -- statements (scripts)

    def _bind(self, target: ast.AST, value: Any, scope: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            scope[target.id] = value
            return
        values = list(value)
        if len(values) != len(target.elts):
            raise ExpressionError(
                f"解包数量不符：需要 {len(target.elts)} 个值，得到 {len(values)} 个")
        for sub, item in zip(target.elts, values, strict=True):
            self._bind(sub, item, scope)

    def _block(self, body: list[ast.stmt]) -> None:
        for statement in body:
            try:
                self._eval(statement)
            except (_Break, _Continue):
                raise
            except Exception as exc:
                if not hasattr(exc, "script_line"):
                    exc.script_line = statement.lineno  # innermost statement wins
                raise

    def _eval_expr(self, node: ast.Expr) -> None:
        self._eval(node.value)

    def _eval_assign(self, node: ast.Assign) -> None:
        value = self._eval(node.value)
        for target in node.targets:
            self._bind(target, value, self.scopes[0])

    def _eval_aug_assign(self, node: ast.AugAssign) -> None:
        name = node.target.id
        self.scopes[0][name] = OPERATORS[type(node.op)](self._lookup(name), self._eval(node.value))

    def _eval_if(self, node: ast.If) -> None:
        self._block(node.body if self._eval(node.test) else node.orelse)

    def _eval_for(self, node: ast.For) -> None:
        for item in self._eval(node.iter):
            self._bind(node.target, item, self.scopes[0])
            try:
                self._block(node.body)
            except _Break:
                return
            except _Continue:
                continue
            self._tick()
        self._block(node.orelse)

    def _eval_pass(self, node: ast.Pass) -> None:
        return None

    def _eval_break(self, node: ast.Break) -> None:
        raise _Break

    def _eval_continue(self, node: ast.Continue) -> None:
        raise _Continue


_HANDLERS: dict[type, Callable[[Interpreter, Any], Any]] = {
    ast.Name: Interpreter._eval_name,
    ast.Constant: lambda self, node: node.value,  # literals are bounded by MAX_SOURCE
    ast.UnaryOp: Interpreter._eval_unaryop,
    ast.BinOp: Interpreter._eval_binop,
    ast.BoolOp: Interpreter._eval_boolop,
    ast.Compare: Interpreter._eval_compare,
    ast.IfExp: Interpreter._eval_ifexp,
    ast.Call: Interpreter._eval_call,
    ast.Subscript: Interpreter._eval_subscript,
    ast.Attribute: Interpreter._eval_attribute,
    ast.Slice: Interpreter._eval_slice,
    ast.JoinedStr: Interpreter._eval_joinedstr,
    ast.FormattedValue: Interpreter._eval_formattedvalue,
    ast.Dict: Interpreter._eval_dict,
    ast.List: Interpreter._eval_list,
    ast.Tuple: Interpreter._eval_tuple,
    ast.Set: Interpreter._eval_set,
    ast.ListComp: Interpreter._eval_comprehension,
    ast.SetComp: Interpreter._eval_comprehension,
    ast.DictComp: Interpreter._eval_comprehension,
    ast.GeneratorExp: Interpreter._eval_comprehension,
    ast.Expr: Interpreter._eval_expr,
    ast.Assign: Interpreter._eval_assign,
    ast.AugAssign: Interpreter._eval_aug_assign,
    ast.If: Interpreter._eval_if,
    ast.For: Interpreter._eval_for,
    ast.Pass: Interpreter._eval_pass,
    ast.Break: Interpreter._eval_break,
    ast.Continue: Interpreter._eval_continue,
}


# ---------------------------------------------------------------- what scripts may store

_PLAIN = (str, int, float, Decimal, bool, type(None))  # Decimal: exact money (money/amounts)


def storable(name: str, value: Any) -> None:
    """Scripts write plain data (what JSON holds) of bounded size into the case."""
    try:
        measure(value, MAX_STORED)
    except LimitExceeded as exc:
        raise LimitExceeded(f"变量 {name} 不能保存到案件数据：{exc}") from None
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(isinstance(k, str) for k in item):
                raise ExpressionError(f"变量 {name} 不能保存到案件数据：字典的键须为字符串")
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif not isinstance(item, _PLAIN):
            raise ExpressionError(
                f"变量 {name} 不能保存到案件数据：{type(item).__name__} 不是数字、字符串、"
                "列表或字典")
