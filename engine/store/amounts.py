"""Money: exact decimal yuan, rounded once, at the end, by one rule.

The rule: an amount is computed exactly (Python `Decimal`, 28 significant digits) and rounded
once, when it becomes an amount someone is paid or shown, to the fen (0.01 yuan) with
ROUND_HALF_UP, as finance offices do. Nothing is rounded on the way: a yearly standard of
3,400 is 3400/12 a month, not 283.33, so a household of three with 1,000 a year per person
gets (3400/12 − 1000/12) × 3 = 600.00, not 599.99.

Form fields arrive as floats (JSON numbers). Designers write float literals (`0.5`). So that
their expressions stay exact and never fail on `Decimal * float`, the values a decision table
or condition sees are `Amount`s: a `Decimal` that takes a float as the decimal it prints as
(`0.1` is 0.1, not 0.1000000000000000055…).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

FEN = Decimal("0.01")
ROUNDING = ROUND_HALF_UP


def _coerce(value: Any) -> Any:
    return Decimal(repr(value)) if isinstance(value, float) else value


class Amount(Decimal):
    """A Decimal whose arithmetic accepts floats (by their shortest decimal text) and whose
    results stay Amounts; `Amount(0.1)` is 0.1 too."""

    __slots__ = ()

    def __new__(cls, value: Any = "0", context: Any = None) -> Amount:
        return super().__new__(cls, _coerce(value), context)


def _binary(name: str):
    base = getattr(Decimal, name)

    def method(self, other):
        result = base(self, _coerce(other))
        return Amount(result) if isinstance(result, Decimal) else result

    method.__name__ = name
    return method


def _unary(name: str):
    base = getattr(Decimal, name)

    def method(self, *args):
        result = base(self, *args)
        return Amount(result) if isinstance(result, Decimal) else result

    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
              "__rmod__", "__pow__", "__rpow__", "__divmod__", "__rdivmod__"):
    setattr(Amount, _name, _binary(_name))
for _name in ("__neg__", "__pos__", "__abs__"):
    setattr(Amount, _name, _unary(_name))
for _name in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
    setattr(Amount, _name, _binary(_name))
Amount.__hash__ = Decimal.__hash__


def amount(value: Any) -> Amount:
    """`value` (int, float, Decimal or numeric text) as an exact Amount; ValueError otherwise."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"不是金额：{value!r}")
    if isinstance(value, Decimal | int | float):
        result = Amount(value)
    elif isinstance(value, str):
        try:
            result = Amount(value.strip())
        except ArithmeticError:
            raise ValueError(f"不是金额：{value!r}") from None
    else:
        raise ValueError(f"不是金额：{value!r}")
    if not result.is_finite():
        raise ValueError(f"不是金额：{value!r}")
    return result


def fen(value: Any) -> Amount:
    """Round to the fen (0.01 yuan), half up: the one rounding an amount gets."""
    return Amount(amount(value).quantize(FEN, rounding=ROUNDING))


def exact(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with its top-level floats as Amounts (for evaluating an expression over it)."""
    return {k: Amount(v) if isinstance(v, float) else v for k, v in data.items()}


def number(value: Any) -> Decimal | None:
    """A numeric value as a Decimal, or None for anything else (booleans included)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        return amount(value)
    except ValueError:
        return None


def as_json(value: Decimal | None) -> float | None:
    """An amount as a JSON number (the API's type for amounts)."""
    return None if value is None else float(value)
