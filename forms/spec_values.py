"""marshmallow fields for the values a form file holds (names, labels, bounds, counts).

These check the form *file*, not what an official submits (that is forms/fields.py). YAML is
loose (`yes`, `1.0`, `null` all parse), so each field accepts exactly one Python type and says
what it wanted in Chinese. Messages are fragments that follow the place they describe
(`字段“x”` + `的 min 应为数字`); forms/spec_problems.py puts the place in front.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validates_schema

from .model import is_number

IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,63}")
IDENTIFIER_RULE = (
    "应为以小写字母开头的 snake_case 标识符（不超过64个字符，且不能是 Python 关键字）"
)
MAX_BOUND = 10**15  # beyond what a form field accepts (and Decimal quantizes)


def is_identifier(value: Any) -> bool:
    """A snake_case name usable as a field or form key (and in BPMN conditions)."""
    return (
        isinstance(value, str)
        and IDENTIFIER.fullmatch(value) is not None
        and not keyword.iskeyword(value)
    )


def literal(message: str) -> str:
    """`message` safe for marshmallow's str.format (which every field message goes through)."""
    return message.replace("{", "{{").replace("}", "}}")


def one_message(message: str, missing: str | None = None) -> dict[str, str]:
    """The same message whether the value is null or wrong, and unless `missing` is given,
    when it is absent."""
    return {"required": missing or message, "null": message, "invalid": message}


class Checked(fields.Field):
    """A field with one message for every way its value can be wrong (`missing` if absent)."""

    def __init__(self, message: str, *, missing: str | None = None, **kwargs: Any):
        messages = one_message(literal(message), missing and literal(missing))
        super().__init__(error_messages=messages, **kwargs)


class StrictSchema(Schema):
    """A mapping that refuses keys it does not declare, naming each (a typo is never ignored).

    Unknown keys are found here rather than by marshmallow's RAISE so that the message can
    name the key and a subclass can explain a key that belongs to another field type.
    """

    unknown_key: ClassVar[str] = "包含未知的定义项“{key}”"

    class Meta:
        unknown = "exclude"

    def misplaced(self, key: Any, original: Mapping[str, Any]) -> str | None:
        """The message for an undeclared key, or None to let it pass silently."""
        return self.unknown_key.format(key=key)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _refuse_unknown_keys(self, data: dict, original_data: Any, **kwargs: Any) -> None:
        if not isinstance(original_data, Mapping):
            return
        known = {f.data_key or name for name, f in self.load_fields.items()}
        found = [self.misplaced(k, original_data) for k in original_data if k not in known]
        problems = [m for m in found if m]
        if problems:
            raise ValidationError(problems)


class Identifier(fields.Field):
    """A snake_case name. Its "invalid" message may show `{input}`, or `{shown}`: the value
    in quotes when it is not text (text is already shown by the place the message follows)."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "“{input}”无效，" + IDENTIFIER_RULE
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not is_identifier(value):
            shown = "" if isinstance(value, str) else f"“{value}”"
            raise self.make_error("invalid", input=value, shown=shown)
        return value


class Text(Checked):
    """Text, stripped; unless `blank_ok`, it must have something besides spaces."""

    def __init__(self, message: str, *, blank_ok: bool = False, strip: bool = True, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.blank_ok = blank_ok
        self.strip = strip

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or not (self.blank_ok or value.strip()):
            raise self.make_error("invalid")
        return value.strip() if self.strip else value


class StrictBool(Checked):
    """`true` or `false` only: YAML's 1, "yes" or "on" are refused, not guessed."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Count(Checked):
    """A whole number (not a boolean) of at least `minimum`."""

    def __init__(self, message: str, *, minimum: int, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.minimum = minimum

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < self.minimum:
            raise self.make_error("invalid")
        return value


class Bound(fields.Field):
    """`min` / `max` of a numeric field: a finite number a form value can reach, a whole
    number for `integer` and whole fen for `money`. The value is kept as written."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "的 {option} 应为数字",
        "null": "的 {option} 应为数字",
        "too_big": "的 {option} 超出范围",
        "not_whole": "是整数类型，{option} 应为整数",
        "not_fen": "是金额类型，{option} 最多保留两位小数",
    }

    def __init__(self, *, whole: bool = False, fen: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.whole = whole
        self.fen = fen

    def _validate_missing(self, value: Any) -> None:
        if value is None:
            raise self.make_error("null", option=self.data_key or self.name)
        super()._validate_missing(value)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int | float:
        key = attr or self.name
        if not is_number(value):
            raise self.make_error("invalid", option=key)
        if abs(value) > MAX_BOUND:
            raise self.make_error("too_big", option=key)
        if self.whole and not isinstance(value, int):
            raise self.make_error("not_whole", option=key)
        if self.fen and Decimal(repr(value)) != Decimal(repr(value)).quantize(Decimal("0.01")):
            raise self.make_error("not_fen", option=key)
        return value


class PositiveNumber(Checked):
    """A finite number above 0 (`times` of an `implies` rule)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not (is_number(value) and value > 0):
            raise self.make_error("invalid")
        return Decimal(str(value))
