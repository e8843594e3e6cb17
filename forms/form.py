"""Form: one checked form definition, able to validate submissions and describe itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from marshmallow import ValidationError

from .errors import FormInvalid
from .model import FieldDef
from .rules import Rule, today_is
from .schema import FormSchema, build_schema_class, flatten_errors

_BOOLEAN_LABELS = {True: "是", False: "否"}


@dataclass(frozen=True, eq=False, repr=False)
class Form:
    """An immutable form definition. Build it with `load_form`, which checks the definition."""

    key: str
    title: str
    fields: tuple[FieldDef, ...]
    source: str = field(default="<string>")
    rules: tuple[Rule, ...] = ()
    title_en: str | None = None  # shown with ?lang=en

    def __repr__(self) -> str:
        return f"<Form {self.key!r} ({len(self.fields)} fields) from {self.source}>"

    @cached_property
    def schema(self) -> FormSchema:
        """The marshmallow Schema instance, built on first use and reused afterwards."""
        return build_schema_class(self.fields, name=f"{self.key}_form", rules=self.rules)()

    def validate(self, data: dict[str, Any], today: date | None = None) -> dict[str, Any]:
        """Clean, JSON-ready data, or FormInvalid listing every bad field by dotted path.

        `today` (the engine's date in China) is what `not_after_today` rules compare with;
        a form with such a rule refuses to validate without it (rules.TodayMissing)."""
        try:
            with today_is(today):
                return self.schema.load(data)
        except ValidationError as err:
            raise FormInvalid(flatten_errors(err.messages)) from None

    def describe(self) -> dict[str, Any]:
        """{"key", "title", "fields": [...]} for rendering the form (JSON-ready)."""
        out: dict[str, Any] = {"key": self.key, "title": self.title}
        if self.title_en is not None:
            out["title_en"] = self.title_en
        out["fields"] = [f.describe() for f in self.fields]
        return out

    def missing_english(self) -> list[str]:
        """Where an English text is missing: "title", a field's path ("members.relation"),
        "<path>.help" or "<path>=<option value>"; empty when the form reads fully in English."""
        missing = [] if self.title_en else ["title"]
        return missing + _missing_english(self.fields, "")

    def field(self, path: str) -> FieldDef:
        """Definition at a dotted path ("decision", "members.relation" or "members.0.relation");
        raises KeyError if there is none."""
        fields: tuple[FieldDef, ...] | None = self.fields
        found: FieldDef | None = None
        for part in path.split("."):
            if part.isdigit() and found is not None and found.type == "rows":
                continue
            found = next((f for f in fields or () if f.name == part), None)
            if found is None:
                raise KeyError(f"表单“{self.key}”没有字段“{path}”")
            fields = found.fields
        if found is None:
            raise KeyError(f"表单“{self.key}”没有字段“{path}”")
        return found

    def choice_label(self, field_name: str, value: Any) -> str:
        """Display text for a stored value: option labels (joined with "、" for multi_choice),
        是/否 for booleans, the value itself otherwise or when it is not a known option."""
        fdef = self.field(field_name)
        if value is None:
            return ""
        if fdef.type == "boolean" and isinstance(value, bool):
            return _BOOLEAN_LABELS[value]
        if isinstance(value, list | tuple):
            return "、".join(self._one_label(fdef, v) for v in value)
        return self._one_label(fdef, value)

    @staticmethod
    def _one_label(fdef: FieldDef, value: Any) -> str:
        label = fdef.option_label(value)
        return label if label is not None else str(value)


def _missing_english(fields: tuple[FieldDef, ...], prefix: str) -> list[str]:
    missing: list[str] = []
    for fdef in fields:
        path = prefix + fdef.name
        if not fdef.label_en:
            missing.append(path)
        if fdef.help and not fdef.help_en:
            missing.append(f"{path}.help")
        missing += [f"{path}={o.value}" for o in fdef.options or () if not o.label_en]
        missing += _missing_english(fdef.fields or (), path + ".")
    return missing
