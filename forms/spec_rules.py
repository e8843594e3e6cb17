"""The `rules:` of a form file as marshmallow schemas: one schema per rule kind.

A rule names sibling fields, so its schema is made with those siblings (already checked
FieldDefs) and the reference fields below resolve names to them: a name that does not exist,
or a field of the wrong type, is refused where it is written. post_load turns a sound rule
into the runtime object of forms/rules.py. Messages are fragments that follow "表单的第1条规则
（kind）"; forms/spec_problems.py writes that part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, post_load, validates_schema
from marshmallow.validate import Length, OneOf

from .fields import Choice
from .model import Condition, FieldDef, is_number
from .rules import (
    OPERATORS,
    RULE_KINDS,
    Clause,
    Implies,
    MinCount,
    NotAfterToday,
    Operand,
    RequiredWhen,
    Rule,
    SumAtMost,
)
from .schema import field_for, flatten_errors
from .spec_values import Count, PositiveNumber, StrictSchema, literal, one_message

NUMERIC = frozenset({"integer", "number", "money"})
COUNTABLE = frozenset({"rows", "multi_choice", "string", "text"})
_KIND_INVALID = f"的类型 kind 无效，应为以下之一：{'、'.join(RULE_KINDS)}"
_NOT_SIBLING = "引用了不存在的同级字段“{input}”"
_OP_INVALID = "的 op“{input}”无效，应为 >、>=、<、<=、==、!= 之一"


def condition_values(target: FieldDef, values: list[Any]) -> list[Any]:
    """`values` cleaned as `target` would clean them, so conditions compare like with like.

    Raises ValueError with a fragment naming the target and the first bad value.
    """
    if target.type in ("rows", "file"):
        raise ValueError(f"不能以 {target.type} 类型的字段“{target.name}”为条件")
    if target.type == "multi_choice":
        checker = Choice(choices=[o.value for o in target.options or ()])
    else:
        checker = field_for(replace(target, required=False, has_default=False, default=None))
    clean: list[Any] = []
    for value in values:
        try:
            clean.append(checker.deserialize(value))
        except ValidationError as err:
            detail = "；".join(m for msgs in flatten_errors(err.messages).values() for m in msgs)
            raise ValueError(f"字段“{target.name}”的取值“{value}”无效：{detail}") from None
    return clean


def siblings_of(field: fields.Field) -> Mapping[str, FieldDef]:
    """The checked sibling fields given to the rule schema that `field` belongs to."""
    owner: Any = field.parent
    while owner is not None and not isinstance(owner, Schema):
        owner = owner.parent
    return getattr(owner, "siblings", {})


class Sibling(fields.Field):
    """The name of a sibling field (of one of `types`, if given); loads to its FieldDef."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "null": _NOT_SIBLING.format(input=None),
        "missing": _NOT_SIBLING,
        "wrong_type": "不能用于 {type} 类型的字段“{input}”（只能用于{types}）",
    }

    def __init__(self, types: frozenset[str] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.types = types

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> FieldDef:
        fdef = siblings_of(self).get(value) if isinstance(value, str) else None
        if fdef is None:
            raise self.make_error("missing", input=value)
        if self.types is not None and fdef.type not in self.types:
            raise self.make_error(
                "wrong_type", input=value, type=fdef.type, types="、".join(sorted(self.types))
            )
        return fdef


class Limit(Sibling):
    """`limit` of sum_at_most: a numeric sibling's name, or a number."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return super()._deserialize(value, attr, data, **kwargs)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        raise self.make_error("invalid")


class OperandField(Sibling):
    """One side of an `implies` comparison: a number (0 or more) or a numeric sibling."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Operand:
        if is_number(value) and value >= 0:
            return Operand(None, None, Decimal(str(value)))
        fdef = super()._deserialize(value, attr, data, **kwargs)
        return Operand(fdef.name, fdef.label, None)


class Conditions(fields.Field):
    """`when` / `when_any`: {sibling: value or list of values}, values checked against the
    sibling's type; loads to Clauses. `own_key` names the rule key that may not be a target."""

    default_error_messages: ClassVar[dict[str, str]] = one_message(
        literal("的条件应为 {字段名: 取值或取值列表} 形式的非空映射")
    )

    def __init__(self, *, own_key: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.own_key = own_key

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple[Clause, ...]:
        if not isinstance(value, dict) or not value:
            raise self.make_error("invalid")
        siblings = siblings_of(self)
        own = data.get(self.own_key) if self.own_key and isinstance(data, Mapping) else None
        problems: list[str] = []
        clauses: list[Clause] = []
        for name, wanted in value.items():
            if self.own_key and name == own:
                problems.append("的条件不能引用字段自身")
                continue
            fdef = siblings.get(name) if isinstance(name, str) else None
            values = wanted if isinstance(wanted, list) else [wanted]
            if fdef is None:
                problems.append(_NOT_SIBLING.format(input=name))
            elif not values:
                problems.append(f"的条件中“{name}”的取值列表为空")
            else:
                try:
                    clean = condition_values(fdef, values)
                except ValueError as exc:
                    problems.append(f"的条件中{exc}")
                    continue
                clauses.append(Clause(Condition(fdef.name, tuple(clean)), fdef.label,
                                      value_labeller(fdef)))
        if problems:
            raise ValidationError(problems)
        return tuple(clauses)


def value_labeller(fdef: FieldDef) -> Callable[[Any], str]:
    """How a message says a value of `fdef`: its option label, 是/否, or the value."""

    def label(value: Any) -> str:
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, list):
            return "、".join(label(v) for v in value)
        found = fdef.option_label(value)
        return found if found is not None else str(value)

    return label


def needed(key: str) -> dict[str, str]:
    """Messages of a key every rule of a kind must have."""
    return {"required": f"缺少定义项 {key}"}


class KindSchema(Schema):
    """What is checked of a rule whose kind is unknown: that it is a mapping with a kind."""

    error_messages: ClassVar[dict[str, str]] = {"type": "应为键值映射，包含 kind 等定义项"}

    class Meta:
        unknown = "exclude"

    kind = fields.Raw(
        required=True,
        validate=OneOf(RULE_KINDS, error=literal(_KIND_INVALID)),
        error_messages=one_message(literal(_KIND_INVALID)),
    )

    def __init__(self, siblings: Mapping[str, FieldDef], **kwargs: Any):
        super().__init__(**kwargs)
        self.siblings = siblings


class RuleSchema(StrictSchema, KindSchema):
    """A rule of a known kind: its keys exactly, each checked, the names resolved."""


class NotAfterTodaySchema(RuleSchema):
    field = Sibling(frozenset({"date"}), required=True, error_messages=needed("field"))

    @post_load
    def _rule(self, data: dict, **kwargs: Any) -> Rule:
        return NotAfterToday(data["field"].name, data["field"].label)


class SumAtMostSchema(RuleSchema):
    summed = fields.List(
        Sibling(NUMERIC),
        data_key="fields",
        required=True,
        validate=Length(min=2, error="的 fields 应为至少两个字段名的列表"),
        error_messages={**needed("fields"), "null": "的 fields 应为至少两个字段名的列表",
                        "invalid": "的 fields 应为至少两个字段名的列表"},
    )
    limit = Limit(NUMERIC, required=True, error_messages=one_message(
        "的 limit 应为字段名或数字", missing="缺少定义项 limit"))

    @post_load
    def _rule(self, data: dict, **kwargs: Any) -> Rule:
        limit = data["limit"]
        named = isinstance(limit, FieldDef)
        return SumAtMost(
            fields=tuple(f.name for f in data["summed"]),
            labels=tuple(f.label for f in data["summed"]),
            limit=limit.name if named else limit,
            limit_label=limit.label if named else None,
        )


class MinCountSchema(RuleSchema):
    field = Sibling(COUNTABLE, required=True, error_messages=needed("field"))
    count = Count("的 count 应为正整数", minimum=1, required=True, missing="缺少定义项 count")

    @post_load
    def _rule(self, data: dict, **kwargs: Any) -> Rule:
        fdef = data["field"]
        return MinCount(fdef.name, fdef.label, fdef.type, data["count"])


class RequiredWhenSchema(RuleSchema):
    field = Sibling(required=True, error_messages=needed("field"))
    when = Conditions(own_key="field")
    when_any = Conditions(own_key="field")

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _one_condition_list(self, data: dict, original_data: Any, **kwargs: Any) -> None:
        if isinstance(original_data, Mapping) and ("when" in original_data) == (
            "when_any" in original_data
        ):
            raise ValidationError("应设置且只设置 when 或 when_any 之一")

    @post_load
    def _rule(self, data: dict, **kwargs: Any) -> Rule:
        fdef = data["field"]
        if fdef.required:
            raise ValidationError(f"的字段“{fdef.name}”已是必填项", "field")
        any_of = "when_any" in data
        return RequiredWhen(fdef.name, fdef.label, data["when_any" if any_of else "when"], any_of)


class ImpliesSchema(RuleSchema):
    when = Conditions(required=True, error_messages=needed("when"))
    field = OperandField(NUMERIC, required=True, error_messages=needed("field"))
    op = fields.Raw(
        required=True,
        validate=OneOf(tuple(OPERATORS), error=_OP_INVALID),
        error_messages={**needed("op"), "null": _OP_INVALID.format(input=None)},
    )
    than = OperandField(NUMERIC, required=True, error_messages=needed("than"))
    times = PositiveNumber("的 times 应为正数", allow_none=True)

    @post_load
    def _rule(self, data: dict, **kwargs: Any) -> Rule:
        return Implies(data["when"], data["field"], data["op"], data["than"], data.get("times"))


RULE_SCHEMAS: dict[str, type[RuleSchema]] = {
    "not_after_today": NotAfterTodaySchema,
    "sum_at_most": SumAtMostSchema,
    "min_count": MinCountSchema,
    "required_when": RequiredWhenSchema,
    "implies": ImpliesSchema,
}


def read_rules(raw: list[Any] | None, fields_: tuple[FieldDef, ...]) -> tuple[Rule, ...]:
    """The rules of one level (form or rows field), each loaded by its kind's schema with the
    level's fields as siblings. Raises ValidationError({"rules": {index: messages}}) listing
    every bad rule; no `rules:` is no rules.
    """
    siblings = {f.name: f for f in fields_}
    rules: list[Rule] = []
    errors: dict[int, Any] = {}
    for index, item in enumerate(raw or ()):
        kind = item.get("kind") if isinstance(item, dict) else None
        schema_class = RULE_SCHEMAS.get(kind) if isinstance(kind, str) else None
        try:
            rules.append((schema_class or KindSchema)(siblings).load(item))
        except ValidationError as err:
            errors[index] = err.messages
    if errors:
        raise ValidationError(errors, "rules")
    return tuple(rules)
