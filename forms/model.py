"""Immutable field definitions: what a form file says once it has been checked."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FIELD_TYPES: tuple[str, ...] = (
    "string",
    "text",
    "integer",
    "number",
    "money",
    "date",
    "boolean",
    "id_number",
    "phone",
    "choice",
    "multi_choice",
    "file",
    "rows",
)
CHOICE_TYPES = frozenset({"choice", "multi_choice"})
RANGE_TYPES = frozenset({"integer", "number", "money"})
LENGTH_TYPES = frozenset({"string", "text"})
DEFAULT_MAX_LENGTH = {"string": 100, "text": 2000}
DEFAULT_MAX_ROWS = 50


@dataclass(frozen=True)
class Option:
    """One choice: `value` is what is stored (and compared in gateways), `label` what is shown."""

    value: str
    label: str
    label_en: str | None = None  # shown with ?lang=en


@dataclass(frozen=True)
class Condition:
    """`required_when` clause: holds when sibling field `field` has one of `values` (clean)."""

    field: str
    values: tuple[Any, ...]

    def holds(self, data: Mapping[str, Any]) -> bool:
        """True if the clean value of `field` is one of `values` (for a multi_choice field: if
        any picked value is)."""
        if self.field not in data:
            return False
        actual = data[self.field]
        if isinstance(actual, list):
            return any(v in self.values for v in actual)
        return actual in self.values


@dataclass(frozen=True)
class FieldDef:
    """A checked field definition with defaults filled in (e.g. money `min` 0, `max_rows` 50).

    For rows, `required` is true whenever `min_rows` > 0: an absent list cannot have rows.
    `default` is already clean (lists are kept as tuples so the definition stays immutable).
    """

    name: str
    type: str
    label: str
    required: bool = False
    #: the English label and help, shown with ?lang=en (None: the Chinese is shown)
    label_en: str | None = None
    help_en: str | None = None
    required_when: tuple[Condition, ...] = ()
    options: tuple[Option, ...] | None = None
    fields: tuple[FieldDef, ...] | None = None
    min: int | float | None = None
    max: int | float | None = None
    max_length: int | None = None
    #: a checked text format of a string field (forms/formats.py), e.g. "bank_account"
    format: str | None = None
    min_rows: int | None = None
    max_rows: int | None = None
    help: str | None = None
    #: the case-data variable whose value the task shows as this field's initial value
    prefill: str | None = None
    default: Any = None
    has_default: bool = False
    #: forms.rules.Rule objects checked on each row of a rows field
    rules: tuple[Any, ...] = ()

    def option_label(self, value: Any) -> str | None:
        """Label of the option whose value is `value`, or None."""
        for option in self.options or ():
            if option.value == value:
                return option.label
        return None

    def describe(self) -> dict[str, Any]:
        """JSON-ready description used by the web layer to render an input."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "label": self.label,
            "options": (
                [_with_english({"value": o.value, "label": o.label}, label_en=o.label_en)
                 for o in self.options]
                if self.options is not None
                else None
            ),
            "fields": [f.describe() for f in self.fields] if self.fields is not None else None,
        }
        _with_english(out, label_en=self.label_en)
        if self.help is not None:
            out["help"] = self.help
            _with_english(out, help_en=self.help_en)
        if self.prefill is not None:
            out["prefill"] = self.prefill
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.format is not None:
            out["format"] = self.format
        if self.required_when:
            out["required_when"] = {c.field: list(c.values) for c in self.required_when}
        if self.type == "rows":
            out["min_rows"] = self.min_rows
            out["max_rows"] = self.max_rows
        return out


def _with_english(out: dict[str, Any], **english: str | None) -> dict[str, Any]:
    """`out` with the English texts that are set (an API client may show them)."""
    out.update({k: v for k, v in english.items() if v is not None})
    return out


def is_number(value: Any) -> bool:
    """A finite int or float from a form file (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
