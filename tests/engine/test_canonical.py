"""Canonical JSON never changes its bytes: stored audit hashes and compressed workflow states
depend on them. Pinned by literal texts, and against the first implementation (kept here as
written when the first hashes were stored) over a seeded corpus of form-like values."""

import json
import random
from decimal import Decimal
from enum import IntEnum

import pytest

from engine.store.amounts import Amount
from engine.store.canonical import canonical


def first_canonical(value):
    """engine/store/canonical.py as of the first stored hash (commit history), verbatim."""
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{first_canonical(v)}"
                              for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(first_canonical(v) for v in value) + "]"
    if value is None or isinstance(value, bool | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return format(number.normalize(), "f") if number == number.to_integral_value() \
            else str(number.normalize())
    raise TypeError(f"not JSON: {type(value).__name__}")


class Level(IntEnum):
    VILLAGE = 3


PINNED = [
    ({"b": "二", "a": True, "c": None}, '{"a":true,"b":"二","c":null}'),
    ({"x": 1.0, "y": 1e16, "z": Decimal("2.50")}, '{"x":1,"y":10000000000000000,"z":2.5}'),
    ({"n": 10 ** 30, "m": -(10 ** 26) - 7}, '{"m":-100000000000000000000000007,'
                                            '"n":1000000000000000000000000000000}'),
    ({2: "a", 10: "b"}, '{"10":"b","2":"a"}'),
    ({"q": 'say "hi"\n\t\\', "e": "\u2028 é"}, '{"e":"\u2028 é","q":"say \\"hi\\"\\n\\t\\\\"}'),
    ([1, (2, "3"), [], {}], '[1,[2,"3"],[],{}]'),
    # beyond 28 significant digits Decimal's context rounds: so it has always been stored
    (12345678901234567890123456789012, "12345678901234567890123456790000"),
    (Amount("1200.00"), "1200"),
    (Level.VILLAGE, "3"),
    (False, "false"),
    (0.1, "0.1"),
    (-0.0, "-0"),
]


@pytest.mark.parametrize(("value", "text"), PINNED)
def test_pinned_texts(value, text):
    assert canonical(value) == text == first_canonical(value)


def _value(rng: random.Random, depth: int):
    kinds = ["str", "int", "big", "float", "bool", "none", "decimal"]
    if depth < 3:
        kinds += ["dict", "dict", "list"]
    kind = rng.choice(kinds)
    if kind == "str":
        return "".join(rng.choice('ab"\\\n低保é\x01 ') for _ in range(rng.randint(0, 6)))
    if kind == "int":
        return rng.randint(-10 ** 6, 10 ** 6)
    if kind == "big":
        return rng.choice([-1, 1]) * rng.randint(10 ** 26, 10 ** 32)
    if kind == "float":
        return rng.choice([rng.uniform(-1e6, 1e6), float(rng.randint(0, 99)), 1e16, 2.5e-7])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "decimal":
        return Decimal(rng.randint(-10 ** 8, 10 ** 8)).scaleb(-rng.randint(0, 4))
    if kind == "list":
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = [rng.choice(["a", "B", "决定", "x1", "x10", 'k"'] if rng.random() < 0.9 else [1, 2])
            for _ in range(rng.randint(0, 5))]
    return {k: _value(rng, depth + 1) for k in keys}


def test_same_text_as_the_first_implementation():
    rng = random.Random(20261203)
    for _ in range(3000):
        value = _value(rng, 0)
        assert canonical(value) == first_canonical(value), value


def test_not_json_is_refused():
    with pytest.raises(TypeError):
        canonical({"a": object()})
