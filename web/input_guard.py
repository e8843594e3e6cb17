"""Input no route may see: checked once for every request, API and pages alike.

PostgreSQL refuses NUL in text and ids past 32 bits, Python's JSON reads `1e999`, `NaN`
and `Infinity` as non-finite floats, and a lone UTF-16 surrogate escape (`"\\ud800"`) as a
string that no database can store as UTF-8; each would otherwise reach the database or a rule
and end as a 500. A bounded `int` converter turns out-of-range ids into 404 (no such thing); a
`before_request` check turns NUL bytes, lone surrogates and non-finite numbers into 422 naming
the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from engine.store.errors import BadRequest, Invalid

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column
NUL_MESSAGE = "不能包含空字符（\\0）"
SURROGATE_MESSAGE = "包含无效的字符编码"
NUMBER_MESSAGE = "数值超出范围"
DEPTH_MESSAGE = "嵌套层次过深"
MAX_DEPTH = 20  # forms nest rows in rows a few levels at most


class BoundedInt(IntegerConverter):
    """Werkzeug's `int`, bounded to what an id column can hold: a bigger id matches no route."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=MAX_ID if max is None else max, signed=signed)


def _unstorable(text: str) -> bool:
    """A lone surrogate (JSON's `\\ud800`): text that has no UTF-8 form."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return NUL_MESSAGE
    return SURROGATE_MESSAGE if _unstorable(text) else None


def _bad_values(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(dotted path, message) for every string with a NUL or a lone surrogate and every
    non-finite number in `value`, and for nesting deeper than any form has (walked without
    recursion)."""
    stack = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            if (message := _bad_text(item)) is not None:
                yield where or "body", message
        elif isinstance(item, float):
            if not math.isfinite(item):
                yield where or "body", NUMBER_MESSAGE
        elif isinstance(item, dict | list) and depth >= MAX_DEPTH:
            yield where or "body", DEPTH_MESSAGE
        elif isinstance(item, dict):
            for key, child in item.items():
                name = (f"{where}.{key}" if where else str(key)).replace("\x00", "\\0")
                if _unstorable(name):  # the path is shown back: "?" for what cannot be
                    name = name.encode("utf-8", "replace").decode("utf-8")
                if (message := _bad_text(str(key))) is not None:
                    yield name, message
                stack.append((child, name, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{where}.{i}" if where else str(i), depth + 1)
                         for i, child in enumerate(item))


def _multi(values) -> Iterator[tuple[str, str]]:
    """`_bad_values` over a MultiDict (query string, form), every value of every key."""
    for key, value in values.items(multi=True):
        yield from _bad_values({key: value}, "")


def _json_body() -> Any:
    """The parsed JSON body, None when it is not JSON; 400 when too deep for the parser."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise BadRequest(DEPTH_MESSAGE) from None


def check_request() -> None:
    """422 for NUL bytes in the path, query, form, file names or JSON body; non-finite numbers."""
    problems: dict[str, list[str]] = {}
    found = [*_bad_values(request.view_args or {}, ""), *_multi(request.args)]
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        found.extend(_multi(request.form))
        found.extend((name, NUL_MESSAGE) for name, f in request.files.items(multi=True)
                     if "\x00" in (f.filename or ""))
    if request.is_json:
        found.extend(_bad_values(_json_body(), ""))
    for name, message in found:
        problems.setdefault(name, []).append(message)
    if problems:
        raise Invalid(problems)


def register(app: Flask) -> None:
    """Install before any blueprint: the converter applies to rules as they are added."""
    app.url_map.converters["int"] = BoundedInt
    app.before_request(check_request)
