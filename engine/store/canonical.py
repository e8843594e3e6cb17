"""Canonical JSON text: the same bytes for a value however a database gave it back.

The audit chain hashes it (engine.store.audit), and a case's stored workflow state is
compressed against its submitted forms in it (engine.workflow.spiff.storage): both must find,
years later, exactly the bytes they used. Never change it: every stored hash depends on it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def canonical(value: Any) -> str:
    """Deterministic JSON text; numbers as normalized decimals, because JSONB gives back
    1e16 as 10000000000000000 and 1.0 as 1.0."""
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{canonical(v)}"
                              for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if value is None or isinstance(value, bool | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return format(number.normalize(), "f") if number == number.to_integral_value() \
            else str(number.normalize())
    raise TypeError(f"not JSON: {type(value).__name__}")
