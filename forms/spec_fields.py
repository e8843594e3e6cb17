"""The `fields:` of a form file as marshmallow schemas: one schema per field type.

The field's `type` picks its schema (FieldList.schema_for), so each type declares exactly the
options it takes: an option of another type is refused by name ("只有 rows 类型可以设置
fields"), an option of no type as unknown. post_load turns a sound definition into a FieldDef.
What needs the other fields of the same list (duplicate names, `required_when`, the rules of a
rows field) is checked by FieldList once every field of the list is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from marshmallow import ValidationError, fields, post_load, validates_schema
from marshmallow.validate import Length, OneOf

from .formats import FORMATS
from .model import DEFAULT_MAX_LENGTH, DEFAULT_MAX_ROWS, FIELD_TYPES, Condition, FieldDef, Option
from .schema import field_for, flatten_errors
from .spec_rules import condition_values, read_rules
from .spec_values import (
    IDENTIFIER_RULE,
    Bound,
    Count,
    Identifier,
    StrictBool,
    StrictSchema,
    Text,
    is_identifier,
    literal,
    one_message,
)

MAX_ROWS_DEPTH = 3  # rows inside rows inside rows at most

#: option → the types that take it, for "只有 … 类型可以设置 …"
_OWNERS = {
    "options": "choice/multi_choice",
    "min": "integer/number/money",
    "max": "integer/number/money",
    "max_length": "string/text",
    "format": "string",
    "fields": "rows",
    "min_rows": "rows",
    "max_rows": "rows",
    "rules": "rows",
}
_TYPE_INVALID = f"的类型“{{input}}”无效，应为以下之一：{'、'.join(FIELD_TYPES)}"
_CONDITIONS = "的 required_when 应为 {字段名: 取值} 形式的非空映射"
_OPTIONS = "是选择类型，必须提供非空的选项列表 options"


_VARIABLE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")  # a case-data name (prefill)

class OptionSchema(StrictSchema):
    """One `{value, label}` of a choice field. The value is stored and compared in BPMN
    conditions, so it must be text exactly as written (YAML turns `1` and `no` into others)."""

    unknown_key: ClassVar[str] = "包含未知的定义项“{key}”（只允许 value、label、label_en）"
    error_messages: ClassVar[dict[str, str]] = {"type": "应为 {value: …, label: …} 形式"}

    value = fields.Raw(load_default=None, allow_none=True)  # checked as written, below
    label = Text("缺少标签 label", required=True)
    label_en = Text("的英文标签 label_en 应为非空文字")

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _value_is_text(self, data: dict, original_data: Any, **kwargs: Any) -> None:
        if not isinstance(original_data, Mapping):
            return
        value = original_data.get("value")
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(
                f"值“{value}”无效，应为非空文字（数字或 yes/no 之类的值请加引号，如 '1'）", "value"
            )
        if value != value.strip():
            raise ValidationError(f"值“{value}”首尾不能有空格", "value")

    @post_load
    def _option(self, data: dict, **kwargs: Any) -> Option:
        return Option(value=data["value"], label=data["label"], label_en=data.get("label_en"))


class FieldSchema(StrictSchema):
    """What every field has; also used, alone, for a field whose type is missing or unknown
    (then the options of the types are not judged, since the type they belong to is unknown).

    `depth` is how many rows fields enclose this one (0 at the top of the form).
    """

    takes_default: ClassVar[bool] = True
    error_messages: ClassVar[dict[str, str]] = {"type": "应为键值映射（包含 name、type、label 等）"}

    name = Identifier(required=True, error_messages={
        "required": "缺少名称 name", "null": "缺少名称 name",
        "invalid": "的名称{shown}无效，" + IDENTIFIER_RULE,
    })
    field_type = fields.Raw(
        data_key="type",
        required=True,
        validate=OneOf(FIELD_TYPES, error=_TYPE_INVALID),
        error_messages={"required": "缺少类型 type", "null": "缺少类型 type"},
    )
    label = Text("缺少标签 label（应为非空文字）", required=True)
    label_en = Text("的英文标签 label_en 应为非空文字")
    required = StrictBool("的 required 应为 true 或 false", load_default=False)
    required_when = fields.Dict(
        validate=Length(min=1, error=literal(_CONDITIONS)),
        error_messages=one_message(literal(_CONDITIONS)),
    )
    help = Text("的提示 help 应为文字", blank_ok=True, strip=False)
    help_en = Text("的英文提示 help_en 应为文字", blank_ok=True, strip=False)
    default = fields.Raw(allow_none=True)
    prefill = fields.Raw(allow_none=True)  # judged with the field's type and depth below

    def __init__(self, depth: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self.depth = depth

    def misplaced(self, key: Any, original: Mapping[str, Any]) -> str | None:
        if key not in _OWNERS:
            return super().misplaced(key, original)
        ftype = original.get("type")
        if isinstance(ftype, str) and ftype in FIELD_TYPES:
            return f"是 {ftype} 类型，只有 {_OWNERS[key]} 类型可以设置 {key}"
        return None

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _combinations(self, data: dict, original_data: Any, **kwargs: Any) -> None:
        if not isinstance(original_data, Mapping):
            return
        required = data.get("required") is True
        problems = []
        if required and "required_when" in original_data:
            problems.append("不能同时设置 required 和 required_when")
        if "help_en" in original_data and "help" not in original_data:
            problems.append("设置了英文提示 help_en，但没有中文提示 help")
        if "default" in original_data:
            if not self.takes_default:
                problems.append("是 rows 类型，不能设置默认值 default")
            elif required:
                problems.append("是必填项，不能设置默认值 default")
        prefill = original_data.get("prefill")
        if prefill is not None and (not isinstance(prefill, str)
                                    or not _VARIABLE.fullmatch(prefill) or self.depth > 0
                                    or original_data.get("type") in ("rows", "file")):
            problems.append("的 prefill 应为案件数据中的一个变量名（如 proposed_amount），"
                            "且只能用于表单顶层的非 rows、file 字段")
        if problems:
            raise ValidationError(problems)

    @post_load
    def _field_def(self, data: dict, **kwargs: Any) -> FieldDef:
        attrs: dict[str, Any] = {"required": data["required"], "help": data.get("help"),
                                 "prefill": data.get("prefill"), "label_en": data.get("label_en"),
                                 "help_en": data.get("help_en")}
        attrs.update(self.type_options(data))
        fdef = FieldDef(name=data["name"], type=data["field_type"], label=data["label"], **attrs)
        if "default" in data:
            fdef = _with_default(fdef, data["default"])
        return fdef

    def type_options(self, data: dict) -> dict[str, Any]:
        """The FieldDef attributes that only this type has."""
        return {}


def _with_default(fdef: FieldDef, value: Any) -> FieldDef:
    """`fdef` with its default, cleaned by the field itself: a default is a valid value."""
    try:
        clean = field_for(fdef).deserialize(value)
    except ValidationError as err:
        detail = "；".join(m for msgs in flatten_errors(err.messages).values() for m in msgs)
        raise ValidationError(f"的默认值“{value}”无效：{detail}", "default") from None
    if isinstance(clean, list):
        clean = tuple(clean)
    return replace(fdef, default=clean, has_default=True)


class ChoiceFieldSchema(FieldSchema):
    options = fields.List(
        fields.Nested(OptionSchema),
        required=True,
        validate=Length(min=1, error=_OPTIONS),
        error_messages=one_message(_OPTIONS),
    )

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _distinct_values(self, data: dict, original_data: Any, **kwargs: Any) -> None:
        options = original_data.get("options") if isinstance(original_data, Mapping) else None
        if not isinstance(options, list):
            return
        seen: set[str] = set()
        errors: dict[int, list[str]] = {}
        for index, item in enumerate(options):
            value = item.get("value") if isinstance(item, dict) else None
            if isinstance(value, str) and value.strip():
                if value in seen:
                    errors[index] = [f"值“{value}”重复"]
                seen.add(value)
        if errors:
            raise ValidationError(errors, "options")

    def type_options(self, data: dict) -> dict[str, Any]:
        return {"options": tuple(data["options"])}


class NumberFieldSchema(FieldSchema):
    """`number`: bounds are any numbers a form value can reach."""

    min = Bound()
    max = Bound()

    @validates_schema(skip_on_field_errors=False)
    def _ordered_bounds(self, data: dict, **kwargs: Any) -> None:
        if "min" in data and "max" in data and data["min"] > data["max"]:
            raise ValidationError("的 min 不能大于 max")

    def type_options(self, data: dict) -> dict[str, Any]:
        return {k: data[k] for k in ("min", "max") if k in data}


class IntegerFieldSchema(NumberFieldSchema):
    min = Bound(whole=True)
    max = Bound(whole=True)


class MoneyFieldSchema(NumberFieldSchema):
    """`money`: whole fen, and never negative unless the form says so."""

    min = Bound(fen=True, load_default=0)
    max = Bound(fen=True)


class TextFieldSchema(FieldSchema):
    max_length = Count("的 max_length 应为正整数", minimum=1)

    def type_options(self, data: dict) -> dict[str, Any]:
        return {"max_length": data.get("max_length", DEFAULT_MAX_LENGTH[data["field_type"]])}


class StringFieldSchema(TextFieldSchema):
    """`string`, optionally with a checked `format` (forms/formats.py)."""

    format = fields.Raw()

    @validates_schema(skip_on_field_errors=False)
    def _known_format(self, data: dict, **kwargs: Any) -> None:
        if "format" in data and (not isinstance(data["format"], str)
                                 or data["format"] not in FORMATS):
            raise ValidationError(f"的格式 format 应为以下之一：{'、'.join(FORMATS)}", "format")

    def type_options(self, data: dict) -> dict[str, Any]:
        return {**super().type_options(data), "format": data.get("format")}


class FieldList(fields.Field):
    """A non-empty list of sibling field definitions: the form's, or a rows field's row.

    Each item is loaded by the schema of its type; then names must be distinct and each
    `required_when` must name a sibling with values that sibling accepts. Every problem of
    every item is reported, keyed by the item's index.
    """

    default_error_messages: ClassVar[dict[str, str]] = {
        "too_deep": f"的 rows 嵌套超过{MAX_ROWS_DEPTH}层"
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple:
        if not isinstance(value, list) or not value:
            raise self.make_error("invalid")
        depth = getattr(self.parent, "depth", -1) + 1
        if depth > MAX_ROWS_DEPTH:
            raise self.make_error("too_deep")
        built: dict[int, FieldDef] = {}
        errors: dict[int, Any] = {}
        names: set[str] = set()
        for index, item in enumerate(value):
            try:
                built[index] = schema_for(item)(depth=depth).load(item)
            except ValidationError as err:
                errors[index] = err.messages
            name = item.get("name") if isinstance(item, dict) else None
            if is_identifier(name):
                if name in names:
                    errors.setdefault(index, {}).setdefault("name", []).append("与前面的字段重名")
                names.add(name)
        siblings = {f.name: f for f in built.values()}
        for index, item in enumerate(value):
            if not isinstance(item, dict) or not isinstance(item.get("required_when"), dict):
                continue
            problems, conditions = _conditions(item, siblings, names)
            if problems:
                errors.setdefault(index, {}).setdefault("required_when", []).extend(problems)
            elif index in built:
                built[index] = replace(built[index], required_when=conditions)
        if errors:
            raise ValidationError(errors)
        return tuple(built[index] for index in range(len(value)))


def _conditions(
    item: dict[str, Any], siblings: Mapping[str, FieldDef], names: set[str]
) -> tuple[list[str], tuple[Condition, ...]]:
    """`required_when` of one field: (problems, conditions). A target that exists but has
    problems of its own is passed over: it is reported where it is defined."""
    problems: list[str] = []
    conditions: list[Condition] = []
    for target, wanted in item["required_when"].items():
        if target == item.get("name"):
            problems.append("的 required_when 不能引用字段自身")
        elif target not in names:
            problems.append(f"的 required_when 引用了不存在的同级字段“{target}”")
        elif target in siblings:
            values = wanted if isinstance(wanted, list) else [wanted]
            if not values:
                problems.append(f"的 required_when 中“{target}”的取值列表为空")
                continue
            try:
                clean = condition_values(siblings[target], values)
            except ValueError as exc:
                problems.append(f"的 required_when 中{exc}")
                continue
            conditions.append(Condition(field=target, values=tuple(clean)))
    return problems, tuple(conditions)


class RowsFieldSchema(FieldSchema):
    """`rows`: sub-fields (rows nested at most MAX_ROWS_DEPTH deep), row counts, row rules."""

    takes_default: ClassVar[bool] = False

    sub_fields = FieldList(
        data_key="fields",
        required=True,
        error_messages=one_message("是 rows 类型，必须提供非空的子字段列表 fields"),
    )
    min_rows = Count("的 min_rows 应为非负整数", minimum=0, allow_none=True)
    max_rows = Count("的 max_rows 应为非负整数", minimum=0, allow_none=True)
    rules = fields.List(fields.Raw(), error_messages=one_message("的规则 rules 应为列表"))

    def row_counts(self, data: dict) -> tuple[int, int]:
        """(min_rows, max_rows) with their defaults: one row at least if the field is required."""
        min_rows = data.get("min_rows")
        max_rows = data.get("max_rows")
        return (
            (1 if data.get("required") is True else 0) if min_rows is None else min_rows,
            DEFAULT_MAX_ROWS if max_rows is None else max_rows,
        )

    @validates_schema(skip_on_field_errors=False)
    def _row_counts(self, data: dict, **kwargs: Any) -> None:
        min_rows, max_rows = self.row_counts(data)
        if max_rows < 1:
            raise ValidationError("的 max_rows 应至少为 1")
        if min_rows > max_rows:
            raise ValidationError(f"的 min_rows（{min_rows}）不能大于 max_rows（{max_rows}）")

    def type_options(self, data: dict) -> dict[str, Any]:
        min_rows, max_rows = self.row_counts(data)
        return {
            "min_rows": min_rows,
            "max_rows": max_rows,
            "required": data["required"] or min_rows > 0,
            "fields": data["sub_fields"],
            "rules": read_rules(data.get("rules"), data["sub_fields"]),
        }


_SCHEMAS: dict[str, type[FieldSchema]] = {
    "integer": IntegerFieldSchema,
    "number": NumberFieldSchema,
    "money": MoneyFieldSchema,
    "string": StringFieldSchema,
    "text": TextFieldSchema,
    "choice": ChoiceFieldSchema,
    "multi_choice": ChoiceFieldSchema,
    "rows": RowsFieldSchema,
}


def schema_for(item: Any) -> type[FieldSchema]:
    """The schema of the field type `item` declares (FieldSchema if it declares none)."""
    ftype = item.get("type") if isinstance(item, dict) else None
    return _SCHEMAS.get(ftype, FieldSchema) if isinstance(ftype, str) else FieldSchema
