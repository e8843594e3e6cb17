"""Canonical JSON text: the same bytes for a value however a database gave it back.

The audit chain hashes it (engine.store.audit), and a case's stored workflow state is
compressed against its submitted forms in it (engine.workflow.spiff.storage): both must find,
years later, exactly the bytes they used. Never change its output: every stored hash depends
on it (tests/engine/test_canonical.py pins it). It runs for every submitted form of a case on
each completion, so the common kinds (str, plain int, bool, None, dicts with text keys) take a
short path; everything else goes the general way.
"""

from __future__ import annotations

from decimal import Decimal
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) uses
from typing import Any

# Integers this small print the same through Decimal.normalize (28 significant digits).
_PLAIN_INT = 10 ** 27
_LITERALS = {True: "true", False: "false"}


def canonical(value: Any) -> str:
    """Deterministic JSON text; numbers as normalized decimals, because JSONB gives back
    1e16 as 10000000000000000 and 1.0 as 1.0."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is dict and all(type(k) is str for k in value):
        return "{" + ",".join(encode_basestring(k) + ":" + canonical(v)
                              for k, v in sorted(value.items())) + "}"
    if kind is int and -_PLAIN_INT < value < _PLAIN_INT:
        return str(value)
    if kind is bool:
        return _LITERALS[value]
    if value is None:
        return "null"
    return _general(value)


def _general(value: Any) -> str:
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(f"{encode_basestring(k)}:{canonical(v)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, bool):
        return _LITERALS[bool(value)]
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return format(number.normalize(), "f") if number == number.to_integral_value() \
            else str(number.normalize())
    raise TypeError(f"not JSON: {type(value).__name__}")
