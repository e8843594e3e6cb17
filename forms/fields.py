"""marshmallow field types for form data, with Chinese messages and JSON-ready output.

Every field returns plain JSON data (str, int, float, bool, list, dict) because clean values
are stored as JSON and read by BPMN gateway expressions such as ``decision == "approve"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from marshmallow import ValidationError, fields

from . import rules
from .formats import FORMATS
from .idcard import IdNumberError, normalize_id_number

REQUIRED = "此项为必填项"
UNKNOWN = "未知字段"

# Largest magnitudes still exact as JSON numbers (float64 / JavaScript).
_MAX_INTEGER = 10**15
_MAX_MONEY = Decimal("999999999999.99")
_CENT = Decimal("0.01")

_INTEGER_TEXT = re.compile(r"[+-]?\d{1,16}")
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d{1,16}(?:\.\d{0,16})?|\.\d{1,16})")
MONEY_TEXT = re.compile(r"[+-]?\d{1,13}(?:\.\d{1,16})?")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")
_WHITESPACE = re.compile(r"\s+")
_FILE_REF = re.compile(r"[^\s\x00-\x1f\x7f]{1,64}")


class FormField(fields.Field):
    """Base for all form fields: Chinese messages for missing and null values."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "required": REQUIRED,
        "null": REQUIRED,
        "validator_failed": "取值无效",
    }


class RangeMixin:
    """Shared `min`/`max` check for the numeric fields."""

    minimum: float | None = None
    maximum: float | None = None

    def _check_range(self, value: float | Decimal) -> None:
        if self.minimum is not None and value < self.minimum:
            raise self.make_error("min", min=_fmt(self.minimum))  # type: ignore[attr-defined]
        if self.maximum is not None and value > self.maximum:
            raise self.make_error("max", max=_fmt(self.maximum))  # type: ignore[attr-defined]


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


class Text(FormField):
    """string/text: surrounding whitespace stripped, bounded length."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "请输入文字",
        "too_long": "不能超过{max}个字",
    }

    def __init__(self, *, max_length: int, text_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.text_format = FORMATS[text_format] if text_format else None

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = value.strip()
        if not text:
            raise self.make_error("required")
        if len(text) > self.max_length:
            raise self.make_error("too_long", max=self.max_length)
        if self.text_format is not None:
            try:
                return self.text_format(text)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
        return text


class Integer(RangeMixin, FormField):
    """Whole numbers; numeric strings like "12" accepted, 1.5 and booleans refused."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "请输入整数",
        "too_large": "数值超出范围",
        "min": "不能小于{min}",
        "max": "不能大于{max}",
    }

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
            number = int(value.strip())
        else:
            raise self.make_error("invalid")
        if abs(number) > _MAX_INTEGER:
            raise self.make_error("too_large")
        self._check_range(number)
        return number


class Number(RangeMixin, FormField):
    """Real numbers as float; NaN, infinity and booleans refused."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "请输入数字",
        "min": "不能小于{min}",
        "max": "不能大于{max}",
    }

    def __init__(
        self, *, minimum: float | None = None, maximum: float | None = None, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
            number = float(value.strip())
        else:
            raise self.make_error("invalid")
        if not math.isfinite(number):
            raise self.make_error("invalid")
        self._check_range(number)
        return number


class Money(RangeMixin, FormField):
    """Yuan amounts as float rounded to fen; at most two decimals, negative only if `min` allows."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "请输入金额（元），如 1200.50",
        "decimals": "金额最多保留两位小数",
        "negative": "金额不能为负数",
        "too_large": "金额超出范围",
        "min": "金额不能小于{min}元",
        "max": "金额不能大于{max}元",
    }

    def __init__(self, *, minimum: float | None = 0, maximum: float | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        amount = self._to_decimal(value)
        if abs(amount) > _MAX_MONEY:  # before quantize, which fails past Decimal's precision
            raise self.make_error("too_large")
        if amount != amount.quantize(_CENT):
            raise self.make_error("decimals")
        if amount < 0 and self.minimum is not None and self.minimum >= 0:
            raise self.make_error("negative")
        self._check_range(amount)
        return float(amount.quantize(_CENT)) + 0.0  # + 0.0 turns -0.0 into 0.0

    def _check_range(self, value: float | Decimal) -> None:
        # Compare as Decimal so that 0.1 yuan limits are not distorted by float rounding.
        if self.minimum is not None and value < Decimal(str(self.minimum)):
            raise self.make_error("min", min=_fmt(self.minimum))
        if self.maximum is not None and value > Decimal(str(self.maximum)):
            raise self.make_error("max", max=_fmt(self.maximum))

    def _to_decimal(self, value: Any) -> Decimal:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.make_error("invalid")
            return Decimal(repr(value))  # the shortest text form, e.g. 1200.5, not binary noise
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise self.make_error("invalid")
            return value
        if isinstance(value, str) and MONEY_TEXT.fullmatch(value.strip()):
            try:
                return Decimal(value.strip())
            except InvalidOperation:  # pragma: no cover - the pattern already excludes this
                raise self.make_error("invalid") from None
        raise self.make_error("invalid")


class Date(FormField):
    """Calendar dates as ISO "YYYY-MM-DD" text, in and out; impossible dates refused."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "format": "日期格式应为 YYYY-MM-DD，如 2024-03-01",
        "invalid": "日期无效",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if not isinstance(value, str) or not _DATE_TEXT.fullmatch(value.strip()):
            raise self.make_error("format")
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise self.make_error("invalid") from None


class Boolean(FormField):
    """true/false only (JSON booleans, or the words "true"/"false")."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "请选择“是”或“否”"}
    _WORDS: ClassVar[dict[str, bool]] = {"true": True, "false": False}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in self._WORDS:
            return self._WORDS[value.strip().lower()]
        raise self.make_error("invalid")


class IdNumber(FormField):
    """18-character resident identity number, checksum and birth date verified, X upper-cased."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        try:
            return normalize_id_number(value, rules.today())
        except IdNumberError as exc:
            raise ValidationError(exc.message) from None


class Phone(FormField):
    """Mainland mobile (1[3-9] + 9 digits) or landline such as 0533-1234567; spaces removed."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "请输入有效的手机号码或固定电话（如 13800000000、0533-1234567）",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        phone = _WHITESPACE.sub("", value)
        if _MOBILE.fullmatch(phone) or _LANDLINE.fullmatch(phone):
            return phone
        raise self.make_error("invalid")


class Choice(FormField):
    """One of the option values (integers are matched by their text, e.g. 1 → "1")."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "请从选项中选择"}

    def __init__(self, *, choices: Sequence[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.choices = frozenset(choices)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return self._pick(value)

    def _pick(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip() in self.choices:
            return value.strip()
        raise self.make_error("invalid")


class MultiChoice(Choice):
    """A list of distinct option values, kept in the order given."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "not_list": "请以列表形式提交选项",
        "invalid": "请从选项中选择",
        "duplicate": "选项不能重复",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            raise self.make_error("not_list")
        if not value and self.required:
            raise self.make_error("required")
        picked = [self._pick(v) for v in value]
        if len(set(picked)) != len(picked):
            raise self.make_error("duplicate")
        return picked


class FileRef(FormField):
    """Opaque attachment id (at most 64 visible characters); storing files is not our job."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "附件编号无效"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and _FILE_REF.fullmatch(value.strip()):
            return value.strip()
        raise self.make_error("invalid")


class Rows(fields.Nested):
    """Repeatable group: a list of dicts, each loaded by the row schema; row count is bounded.

    The count is checked before the rows are loaded so that an oversized list is not processed.
    """

    default_error_messages: ClassVar[dict[str, str]] = {
        "required": REQUIRED,
        "null": REQUIRED,
        "type": "应为多行数据的列表",
        "min_rows": "至少需要填写{min}行",
        "max_rows": "最多只能填写{max}行",
    }

    def __init__(self, nested: Any, *, min_rows: int, max_rows: int, **kwargs: Any):
        super().__init__(nested, many=True, **kwargs)
        self.min_rows, self.max_rows = min_rows, max_rows

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[dict]:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            raise self.make_error("type")
        if len(value) < self.min_rows:
            raise self.make_error("min_rows", min=self.min_rows)
        if len(value) > self.max_rows:
            raise self.make_error("max_rows", max=self.max_rows)
        return super()._deserialize(value, attr, data, **kwargs)
