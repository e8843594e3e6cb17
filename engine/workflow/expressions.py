"""Yimen's expression language: what designer text may say, checked before it runs.

Designer text is data: it must reach case data and documented helpers, nothing else. A
deny-list over Python's own `eval` was tried and escaped (a generator's frame walk, `str.format`
field access), so designer text is never handed to Python. This module defines the language
as allow-lists: the node types (`check`, which deploy and `yimen check` run, naming the
element), the functions (`FUNCTIONS` and the helpers), the methods on plain data
(`ALLOWED_METHODS`), and the bounded versions of every operation that could build something
huge (powers, products, shifts, repetitions, ranges, strings). interpreter.py walks the
checked trees; sandbox.py plugs both into SpiffWorkflow. Designers read bpmn/README.md.
"""

from __future__ import annotations

import ast
import datetime as _dt
import difflib
import math
import re
import textwrap
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import simpleeval

from engine.store.amounts import (
    fen,  # exact Decimal, rounded half up to the fen (engine/store/amounts.py)
)

# ---------------------------------------------------------------- limits

MAX_SOURCE = 20_000          # characters of one condition, entry or script
MAX_DEPTH = 100              # nesting of the parsed tree
MAX_LENGTH = 100_000         # characters of a string, items of a list, range or comprehension
MAX_INT_BITS = 4_000         # about 1,200 decimal digits
MAX_INT_DIGITS = 1_205       # the decimal digits of MAX_INT_BITS (4000 × log10 2 ≈ 1204.1)


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
SIZED = (str, bytes, list, tuple, dict, set, frozenset)


def _is_int(value: Any) -> bool:
    return isinstance(value, int)  # bool included


def too_long(what: str) -> LimitExceeded:
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
            raise too_long("重复的结果")
    elif _is_int(a) and _is_int(b) and abs(a).bit_length() + abs(b).bit_length() > MAX_INT_BITS:
        raise _too_big()
    return a * b


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_LENGTH:
        raise too_long("拼接的结果")
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


def measure(value: Any, limit: int) -> int:
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


def bounded_str(value: Any) -> str:
    """`str(value)`, refused when the text would be too long to build."""
    if not isinstance(value, (str, int, float, Decimal, bool, type(None))):
        measure(value, MAX_LENGTH)
    text = str(value)
    if len(text) > MAX_LENGTH:
        raise too_long("字符串")
    return text


def _range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_LENGTH:
        raise too_long("range 的长度")
    return result


def _round(number: Any, ndigits: int | None = None) -> Any:
    """`round`, whose integer rounding to -10**9 digits would compute 10**(10**9)."""
    if ndigits is not None and abs(ndigits) > 100:
        raise LimitExceeded("round 的位数超过上限（±100）")
    return round(number, ndigits)


def _int(value: Any = 0, *base: int) -> int:
    """`int`, refusing what would build an integer past MAX_INT_BITS (a Decimal like 1E+999999
    takes seconds to convert, in one step no deadline can interrupt)."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() >= MAX_INT_DIGITS:
        raise _too_big()
    if isinstance(value, str) and len(value.strip()) > MAX_INT_DIGITS + 1:  # a sign
        raise _too_big()
    return int(value, *base)


def _sum(values: Any, start: int | float = 0) -> Any:
    if not isinstance(start, (int, float, Decimal)):
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
    "enumerate": _eager(enumerate), "float": float, "int": _int, "len": len, "list": list,
    "max": max, "min": min, "range": _range, "reversed": _eager(reversed), "round": _round,
    "set": set, "sorted": sorted, "str": bounded_str, "sum": _sum, "tuple": tuple,
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
        raise too_long("join 的结果")
    return sep.join(items)


def _str_replace(text: str, old: str, new: str, count: int = -1) -> str:
    hits = text.count(old) if count < 0 else min(count, text.count(old))
    if len(text) + hits * (len(new) - len(old)) > MAX_LENGTH:
        raise too_long("replace 的结果")
    return text.replace(old, new, count)


def _str_zfill(text: str, width: int) -> str:
    if width > MAX_LENGTH:
        raise too_long("zfill 的宽度")
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
def parsed(source: str, mode: str) -> ast.AST:
    """The checked tree of a source, once per process: conditions run on every step."""
    source = textwrap.dedent(source).strip() if mode == "exec" else source.strip()
    if len(source) > MAX_SOURCE:
        raise UnsafeScript(f"表达式或脚本过长（超过 {MAX_SOURCE} 个字符）")
    try:
        tree = ast.parse(source, mode=mode)
        _check_tree(tree, mode)
    except (RecursionError, MemoryError):  # `not not ... 1`, 19,000 minus signs
        raise UnsafeScript("表达式嵌套过深，请拆成几步") from None
    return tree


def check(source: str, mode: str = "eval") -> None:
    """Raise UnsafeScript (or SyntaxError) if `source` is outside the expression language.

    `mode` is "eval" for conditions, timers and DMN entries, "exec" for scripts. Names are
    not checked against the data (a form may supply them), only against Python's builtins
    that lead out of the sandbox; calling an unknown function fails when the case runs."""
    parsed(source, mode)



def problem(source: str, mode: str = "eval") -> str | None:
    """Why `source` is refused, in Chinese, or None: the one wording of check and deploy."""
    try:
        check(source, mode)
    except SyntaxError as exc:
        return f"语法错误（{exc.msg}）"
    except UnsafeScript as exc:
        return f"不安全：{exc}"
    return None
