"""The expression language of BPMN conditions, scripts, timers and DMN entries.

Designer text is data: it must reach case data and documented helpers, nothing else. A
deny-list over Python's own `eval` was tried and escaped (a generator's frame walk, `str.format`
field access), so designer text is never handed to Python. It is parsed with `ast`, checked
against an allow-list of node types, names and methods (`check`, also what deploy runs), and
walked by `Interpreter`, an AST interpreter built on simpleeval's handlers:

- names resolve to the case data, the engine's extra context and the helpers; functions are
  only called by name, never passed around;
- attributes are a short list of methods on plain data (`ALLOWED_METHODS`);
- generator expressions and comprehensions are evaluated eagerly into lists, bounded;
- powers, products, shifts, repetitions, ranges and strings are bounded before they are built;
- every evaluation has an operation count and a deadline, and the evaluations of one engine
  step share a time budget (`step_budget`). Past it the evaluation raises `LimitExceeded`,
  which SpiffWorkflow reports and the engine turns into a ModelError (422, nothing stored).

Parsed and checked trees are cached per source, so a condition costs a dictionary lookup and
a short walk. The language is documented for designers in bpmn/README.md.
"""

from __future__ import annotations

import ast
import datetime as _dt
import difflib
import math
import re
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache, partial
from typing import Any

import simpleeval
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)
from SpiffWorkflow.exceptions import SpiffWorkflowException

# ---------------------------------------------------------------- limits

MAX_SOURCE = 20_000          # characters of one condition, entry or script
MAX_DEPTH = 100              # nesting of the parsed tree
MAX_LENGTH = 100_000         # characters of a string, items of a list, range or comprehension
MAX_INT_BITS = 4_000         # about 1,200 decimal digits
MAX_OPERATIONS = 200_000     # interpreter steps per evaluation
TIME_BUDGET = 0.5            # seconds per evaluation
STEP_BUDGET = 1.5            # seconds of evaluation per engine step (see step_budget)
MAX_STORED = 1_000_000       # size units a script may write into case data (see _size)


class ExpressionError(Exception):
    """Designer text did something the language does not allow (message in Chinese)."""


class UnsafeScript(ExpressionError, ValueError):
    """Refused before running: the text uses something outside the language."""


class LimitExceeded(ExpressionError):
    """A size, operation or time bound was reached."""


class UndefinedName(ExpressionError):
    """A name that is neither case data nor a helper."""

    def __init__(self, name: str, known: Iterable[str] = ()):
        near = difflib.get_close_matches(name, list(known), n=3)
        hint = f"；是否指 {'、'.join(near)}？" if near else ""
        super().__init__(f"名称 {name} 未定义（案件数据中没有该字段，也不是可用函数）{hint}")
        self.name = name


# ---------------------------------------------------------------- helpers


def fen(value: float) -> float:
    """Round money to fen (0.01 yuan), half up, as finance offices do."""
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _age_on(birth_date: str, on: str) -> int:
    born, day = _dt.date.fromisoformat(birth_date), _dt.date.fromisoformat(on)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


HELPERS: dict[str, Any] = {
    "fen": fen,
    "age_on": _age_on,
    "ceil": math.ceil,
    "floor": math.floor,
}

# ---------------------------------------------------------------- bounded operations

_SEQUENCES = (str, bytes, list, tuple)
_SIZED = (str, bytes, list, tuple, dict, set, frozenset)


def _is_int(value: Any) -> bool:
    return isinstance(value, int)  # bool included


def _too_long(what: str) -> LimitExceeded:
    return LimitExceeded(f"{what}超过上限（{MAX_LENGTH} 个字符或元素）")


def _too_big() -> LimitExceeded:
    return LimitExceeded(f"整数超过上限（{MAX_INT_BITS} 位二进制，约 1200 位十进制）")


def _power(a: Any, b: Any) -> Any:
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1 and (
            b > MAX_INT_BITS or abs(a).bit_length() * b > MAX_INT_BITS):
        raise _too_big()
    return a ** b


def _mult(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and _is_int(b) or isinstance(b, _SEQUENCES) and _is_int(a):
        seq, times = (a, b) if isinstance(a, _SEQUENCES) else (b, a)
        if times > 0 and len(seq) * times > MAX_LENGTH:
            raise _too_long("重复的结果")
    elif _is_int(a) and _is_int(b) and abs(a).bit_length() + abs(b).bit_length() > MAX_INT_BITS:
        raise _too_big()
    return a * b


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_LENGTH:
        raise _too_long("拼接的结果")
    return a + b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, (str, bytes)):
        raise UnsafeScript("不支持用 % 格式化字符串，请用 + 拼接或 f\"...\"")
    return a % b


def _lshift(a: Any, b: Any) -> Any:
    if _is_int(a) and _is_int(b) and b > 0 and abs(a).bit_length() + b > MAX_INT_BITS:
        raise _too_big()
    return a << b


def _contains(container: Any, item: Any) -> bool:
    return item in container


OPERATORS: dict[type, Callable[..., Any]] = {
    **simpleeval.DEFAULT_OPERATORS,
    ast.Add: _add,
    ast.Mult: _mult,
    ast.Pow: _power,
    ast.Mod: _mod,
    ast.LShift: _lshift,
    ast.In: lambda x, y: _contains(y, x),
    ast.NotIn: lambda x, y: not _contains(y, x),
}


def _size(value: Any, limit: int) -> int:
    """Rough size of plain data (characters plus items), refusing anything past `limit`.

    Shared references count each time they are reached (as `str` or JSON would write them),
    so a list of one list repeated cannot stand for a billion items; a cycle never ends the
    count and is refused too."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        total += len(item) + 2 if isinstance(item, str) else 8
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        if total > limit:
            raise LimitExceeded(f"数据大小超过上限（{limit} 个单位）")
    return total


def _text(value: Any) -> str:
    """`str(value)`, refused when the text would be too long to build."""
    if not isinstance(value, (str, int, float, bool, type(None))):
        _size(value, MAX_LENGTH)
    text = str(value)
    if len(text) > MAX_LENGTH:
        raise _too_long("字符串")
    return text


def _range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_LENGTH:
        raise _too_long("range 的长度")
    return result


def _sum(values: Any, start: int | float = 0) -> Any:
    if not isinstance(start, (int, float)):
        raise ExpressionError("sum 只能对数字求和")
    return sum(values, start)


def _eager(fn: Callable[..., Any]) -> Callable[..., list]:
    """Iterator builtins (enumerate, zip, reversed) as plain lists: no iterator objects."""
    def run(*args: Any, **kwargs: Any) -> list:
        return list(fn(*args, **kwargs))
    run.__name__ = fn.__name__
    return run


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs, "all": all, "any": any, "bool": bool, "dict": dict, "divmod": divmod,
    "enumerate": _eager(enumerate), "float": float, "int": int, "len": len, "list": list,
    "max": max, "min": min, "range": _range, "reversed": _eager(reversed), "round": round,
    "set": set, "sorted": sorted, "str": _text, "sum": _sum, "tuple": tuple,
    "zip": _eager(zip),
}

# Names that are Python's way out of any sandbox: refused wherever they appear, so that a
# designer learns at deploy time, not when a case runs.
DENIED_NAMES = frozenset({
    "__import__", "breakpoint", "callable", "classmethod", "compile", "delattr", "dir", "eval",
    "exec", "exit", "format", "frozenset", "getattr", "globals", "hasattr", "hash", "help", "id",
    "input", "isinstance", "issubclass", "iter", "locals", "memoryview", "next", "object",
    "open", "print", "property", "quit", "repr", "setattr", "staticmethod", "super", "type",
    "vars", "bytearray", "bytes", "filter", "map", "aiter", "anext",
})


def _str_join(sep: str, items: Any) -> str:
    items = list(items)
    if sum(len(i) for i in items if isinstance(i, str)) + len(sep) * len(items) > MAX_LENGTH:
        raise _too_long("join 的结果")
    return sep.join(items)


def _str_replace(text: str, old: str, new: str, count: int = -1) -> str:
    hits = text.count(old) if count < 0 else min(count, text.count(old))
    if len(text) + hits * (len(new) - len(old)) > MAX_LENGTH:
        raise _too_long("replace 的结果")
    return text.replace(old, new, count)


def _str_zfill(text: str, width: int) -> str:
    if width > MAX_LENGTH:
        raise _too_long("zfill 的宽度")
    return text.zfill(width)


def _listed(name: str) -> Callable[[dict], list]:
    return lambda d, *args: list(getattr(d, name)(*args))


_STR_PLAIN = (
    "count", "endswith", "find", "index", "isalnum", "isalpha", "isdecimal", "isdigit",
    "islower", "isnumeric", "isspace", "isupper", "lower", "lstrip", "partition",
    "removeprefix", "removesuffix", "rfind", "rpartition", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "title", "upper",
)
# Per type: method name -> None (the bound method itself) or a bounded replacement taking
# the object first. Nothing else on any object can be reached.
ALLOWED_METHODS: dict[type, dict[str, Callable[..., Any] | None]] = {
    str: {**dict.fromkeys(_STR_PLAIN), "join": _str_join, "replace": _str_replace,
          "zfill": _str_zfill},
    dict: {"get": None, "keys": _listed("keys"), "values": _listed("values"),
           "items": _listed("items")},
    list: {"count": None, "index": None},
    tuple: {"count": None, "index": None},
    set: dict.fromkeys(("difference", "intersection", "isdisjoint", "issubset", "issuperset",
                        "union")),
    float: {"is_integer": None},
}
_METHOD_NAMES = frozenset(name for methods in ALLOWED_METHODS.values() for name in methods)

# ---------------------------------------------------------------- static check

_EXPRESSION_NODES: tuple[type, ...] = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call,
    ast.keyword, ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.Slice, ast.List,
    ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
    ast.comprehension, ast.JoinedStr, ast.FormattedValue, ast.Load, ast.Store,
    ast.And, ast.Or, ast.Not, ast.UAdd, ast.USub, ast.Invert,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot,
)
_STATEMENT_NODES: tuple[type, ...] = (
    ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.For, ast.Pass, ast.Break,
    ast.Continue,
)
_REFUSED: dict[type, str] = {
    ast.Lambda: "lambda 函数", ast.NamedExpr: "海象赋值 :=", ast.While: "while 循环（请用 for）",
    ast.FunctionDef: "函数定义", ast.AsyncFunctionDef: "函数定义", ast.ClassDef: "类定义",
    ast.Import: "import 导入", ast.ImportFrom: "import 导入", ast.Global: "global 声明",
    ast.Nonlocal: "nonlocal 声明", ast.Try: "try 语句", ast.Raise: "raise 语句",
    ast.With: "with 语句", ast.Delete: "del 语句", ast.Return: "return 语句",
    ast.Yield: "yield 生成器", ast.YieldFrom: "yield 生成器", ast.Await: "await",
    ast.Starred: "* 展开", ast.MatMult: "@ 运算符", ast.Assert: "assert 语句",
    ast.AnnAssign: "类型注解", ast.Match: "match 语句",
}
# A format spec in an f-string: alignment, sign, width, grouping, precision, type; no nested
# fields, and no width or precision that would build a huge string.
_FORMAT_SPEC = re.compile(r"[<>^=]?[+\- ]?0?\d{0,3}[,_]?(?:\.\d{1,2})?[bdeEfFgGnosxX%]?")


def _refuse(node: ast.AST) -> str | None:
    """Why this node is outside the language, or None."""
    if isinstance(node, ast.Name):
        if node.id.startswith("_") or node.id in DENIED_NAMES:
            return f"不允许使用名称 {node.id}"
        if isinstance(node.ctx, ast.Store) and (node.id in FUNCTIONS or node.id in HELPERS):
            return f"不能给函数名 {node.id} 赋值"
    elif isinstance(node, ast.Attribute):
        if node.attr not in _METHOD_NAMES:
            return f"不允许访问属性 .{node.attr}（可用的方法见 bpmn/README.md）"
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            return "只能直接调用函数名或数据的方法"
        if any(k.arg is None for k in node.keywords):
            return "不支持 ** 展开参数"
    elif isinstance(node, ast.comprehension) and node.is_async:
        return "不支持 async"
    elif isinstance(node, ast.FormattedValue):
        if node.conversion != -1:
            return "f 字符串中不支持 !r、!s、!a 转换"
        spec = node.format_spec
        if spec is not None and not (
                all(isinstance(v, ast.Constant) for v in spec.values)
                and _FORMAT_SPEC.fullmatch("".join(str(v.value) for v in spec.values))):
            return "f 字符串的格式说明只能是简单的宽度、精度和类型（如 {x:.2f}），不能嵌套字段"
    elif isinstance(node, ast.Constant) and isinstance(node.value, (bytes, complex)):
        return "不支持 bytes 或复数常量"
    elif isinstance(node, (ast.Assign, ast.For)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if not all(isinstance(t, (ast.Name, ast.Tuple, ast.List, ast.Store))
                       for t in ast.walk(target)):
                return "只能给变量名赋值（不能给下标或属性赋值）"
    elif isinstance(node, ast.AugAssign) and not isinstance(node.target, ast.Name):
        return "只能给变量名赋值（不能给下标或属性赋值）"
    return None


def _check_tree(tree: ast.AST, mode: str) -> None:
    """Refuse constructs first (lambda, import, while...), then names, attributes and calls,
    so that the message names the real culprit."""
    allowed = _EXPRESSION_NODES + (_STATEMENT_NODES if mode == "exec" else ())
    nodes: list[ast.AST] = []
    stack: list[tuple[ast.AST, int, bool]] = [(tree, 0, False)]
    while stack:
        node, depth, in_loop = stack.pop()
        if depth > MAX_DEPTH:
            raise UnsafeScript(f"嵌套层次过深（超过 {MAX_DEPTH} 层）")
        kind = type(node)
        if kind in _REFUSED:
            raise UnsafeScript(f"不支持：{_REFUSED[kind]}")
        if not isinstance(node, allowed):
            raise UnsafeScript(f"不支持的写法：{kind.__name__}")
        if isinstance(node, (ast.Break, ast.Continue)) and not in_loop:
            raise UnsafeScript("break/continue 只能用在 for 循环内")
        nodes.append(node)
        for field, value in ast.iter_fields(node):
            loop = in_loop or (isinstance(node, ast.For) and field == "body")
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    stack.append((child, depth + 1, loop))
    for node in nodes:
        reason = _refuse(node)
        if reason:
            raise UnsafeScript(reason)


@lru_cache(maxsize=4096)
def _parsed(source: str, mode: str) -> ast.AST:
    """The checked tree of a source, once per process: conditions run on every step."""
    source = textwrap.dedent(source).strip() if mode == "exec" else source.strip()
    if len(source) > MAX_SOURCE:
        raise UnsafeScript(f"表达式或脚本过长（超过 {MAX_SOURCE} 个字符）")
    tree = ast.parse(source, mode=mode)
    _check_tree(tree, mode)
    return tree


def check(source: str, mode: str = "eval") -> None:
    """Raise UnsafeScript (or SyntaxError) if `source` is outside the expression language.

    `mode` is "eval" for conditions, timers and DMN entries, "exec" for scripts. Names are
    not checked against the data (a form may supply them), only against Python's builtins
    that lead out of the sandbox; calling an unknown function fails when the case runs."""
    _parsed(source, mode)


# ---------------------------------------------------------------- time budget

_step_spent: ContextVar[list[float] | None] = ContextVar("yimen_sandbox_spent", default=None)


@contextmanager
def step_budget() -> Iterator[None]:
    """Let every evaluation inside share STEP_BUDGET seconds (one engine step, one decision),
    so that a table of a thousand slow rules cannot hold a worker for a thousand budgets."""
    token = _step_spent.set([0.0])
    try:
        yield
    finally:
        _step_spent.reset(token)


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
        spent = _step_spent.get()
        self.started = time.perf_counter()
        self.deadline = self.started + (
            TIME_BUDGET if spent is None else min(TIME_BUDGET, STEP_BUDGET - spent[0]))

    def finish(self) -> None:
        spent = _step_spent.get()
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
        """Building a container or string costs steps by its length (one per 16 items), so
        the operation bound also bounds the memory one evaluation can take."""
        if isinstance(value, _SIZED):
            self.operations += len(value) >> 4
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
        name = node.id
        for scope in self.scopes:
            if name in scope:
                return scope[name]
        return self._lookup(name)

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
            raise _too_long("f 字符串")
        return "".join(parts)

    def _eval_formattedvalue(self, node: ast.FormattedValue) -> str:
        value = self._eval(node.value)
        if node.format_spec is None:
            return _text(value)
        spec = "".join(str(v.value) for v in node.format_spec.values)  # checked constant
        return format(value if isinstance(value, (int, float, str)) else _text(value), spec)

    # -- containers and comprehensions

    def _eval_dict(self, node: ast.Dict) -> dict:
        return simpleeval.EvalWithCompoundTypes._eval_dict(self, node)

    def _eval_list(self, node: ast.List) -> list:
        return [self._eval(e) for e in node.elts]

    def _eval_tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self._eval(e) for e in node.elts)

    def _eval_set(self, node: ast.Set) -> set:
        return {self._eval(e) for e in node.elts}

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
                        raise _too_long("推导式的结果")

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

_PLAIN = (str, int, float, bool, type(None))


def _storable(name: str, value: Any) -> None:
    """Scripts write plain data (what JSON holds) of bounded size into the case."""
    try:
        _size(value, MAX_STORED)
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
        tree = _parsed(expression, "eval")
        interpreter = self._interpreter(expression, [context], external_context)
        try:
            result = interpreter.run(tree)
        finally:
            interpreter.finish()
        if isinstance(result, _SIZED):  # DMN outputs and the like are stored in the case
            _size(result, MAX_STORED)
        return result

    def check_for_overwrite(self, context: dict, external_context: dict) -> None:
        """Case data that shadows a helper would make the helper uncallable: say so."""
        clash = (set(self.globals) | set(external_context)) & set(context)
        if clash:
            raise ExpressionError(
                f"案件数据中的字段与可用函数或名称重名，请改名：{'、'.join(sorted(clash))}")

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        tree = _parsed(script, "exec")
        assigned: dict[str, Any] = {}
        interpreter = self._interpreter(script, [assigned, context], external_context)
        try:
            interpreter.run(tree)
        finally:
            interpreter.finish()
        for name, value in assigned.items():
            _storable(name, value)
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
    fields = getattr(error, "fields", None)  # a helper's Invalid (engine/errors.py)
    if isinstance(fields, dict):
        return "；".join(str(m) for messages in fields.values() for m in messages)
    kind = type(error).__name__
    return f"{_PYTHON_ERRORS.get(kind, kind)}（{kind}: {error}）"


class ScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with errors a designer can act on, in Chinese: which
    expression or script line failed and why (an unknown name, a limit, a missing key)."""

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException:
            raise
        except Exception as exc:
            raise WorkflowTaskException(
                f"表达式“{expression.strip()}”出错：{reason(exc)}", task=task,
                exception=exc) from exc

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
