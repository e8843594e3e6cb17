"""Input no route may see: checked once for every request, API and pages alike.

PostgreSQL refuses NUL in text and ids past 32 bits, and Python's JSON reads `1e999`, `NaN`
and `Infinity` as non-finite floats; each would otherwise reach the database or a rule and end
as a 500. A bounded `int` converter turns out-of-range ids into 404 (no such thing); a
`before_request` check turns NUL bytes and non-finite numbers into 422 naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from engine.errors import Invalid

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column
NUL_MESSAGE = "不能包含空字符（\\0）"
NUMBER_MESSAGE = "数值超出范围"


class BoundedInt(IntegerConverter):
    """Werkzeug's `int`, bounded to what an id column can hold: a bigger id matches no route."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=MAX_ID if max is None else max, signed=signed)


def _bad_values(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(dotted path, message) for every NUL-bearing string and non-finite number in `value`."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "body", NUL_MESSAGE
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield path or "body", NUMBER_MESSAGE
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                yield name.replace("\x00", "\\0"), NUL_MESSAGE
            yield from _bad_values(item, name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _bad_values(item, f"{path}.{i}" if path else str(i))


def _multi(values, prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in values.items(multi=True):
        yield from _bad_values({key: value}, prefix)


def check_request() -> None:
    """422 for NUL bytes in the path, query, form, file names or JSON body; non-finite numbers."""
    problems: dict[str, list[str]] = {}
    found = [*_bad_values(request.view_args or {}, ""), *_multi(request.args)]
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        found.extend(_multi(request.form))
        found.extend((name, NUL_MESSAGE) for name, f in request.files.items(multi=True)
                     if "\x00" in (f.filename or ""))
    if request.is_json:
        found.extend(_bad_values(request.get_json(silent=True), ""))
    for name, message in found:
        problems.setdefault(name, []).append(message)
    if problems:
        raise Invalid(problems)


def register(app: Flask) -> None:
    """Install before any blueprint: the converter applies to rules as they are added."""
    app.url_map.converters["int"] = BoundedInt
    app.before_request(check_request)
