"""Reading form files: YAML → checked, immutable field definitions → Form.

Every problem in a definition is collected (not just the first) and reported together as
FormDefinitionError, each as a Chinese sentence naming the source file and the field, so that
whoever wrote the file can fix it in one pass.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import yaml
from marshmallow import ValidationError

from .errors import FormDefinitionError
from .fields import Choice
from .form import Form
from .model import (
    CHOICE_TYPES,
    DEFAULT_MAX_LENGTH,
    DEFAULT_MAX_ROWS,
    FIELD_TYPES,
    LENGTH_TYPES,
    RANGE_TYPES,
    Condition,
    FieldDef,
    Option,
    is_number,
)
from .rules import Rule, RuleReader
from .schema import field_for, flatten_errors

MAX_SOURCE_CHARS = 200_000
MAX_ROWS_DEPTH = 3  # rows inside rows inside rows at most
MAX_FIELDS = 500  # across all levels; YAML aliases could otherwise multiply fields without bound

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,63}")
_VARIABLE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")  # a case-data name (prefill)
_IDENTIFIER_RULE = (
    "应为以小写字母开头的 snake_case 标识符（不超过64个字符，且不能是 Python 关键字）"
)
_TOP_KEYS = ("key", "title", "fields", "rules")
_FIELD_KEYS = frozenset(
    {
        "name",
        "type",
        "label",
        "required",
        "required_when",
        "options",
        "fields",
        "min",
        "max",
        "max_length",
        "min_rows",
        "max_rows",
        "help",
        "prefill",
        "default",
        "rules",
    }
)
_OPTION_KEYS = frozenset({"value", "label"})


def load_form(text: str, source: str = "<string>") -> Form:
    """Parse a form file and check the definition; raise FormDefinitionError with all problems.

    `source` names the file in messages; if it ends in .yaml/.yml, `key` must equal its stem.
    """
    data = _parse_yaml(text, source)
    checker = _Checker(source)
    form = checker.check_form(data)
    if checker.problems or form is None:
        raise FormDefinitionError(checker.problems)
    form.schema  # noqa: B018 - build the schema now, so the hot path never does
    return form


# ---------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader that records duplicate mapping keys instead of silently keeping the last."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicate_keys: list[tuple[Any, int]] = []


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found unhashable key", key_node.start_mark
            ) from None
        if key in result:
            loader.duplicate_keys.append((key, key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(text: str, source: str) -> Any:
    if not isinstance(text, str):
        raise FormDefinitionError([f"{source}：表单文件内容应为文本。"])
    if len(text) > MAX_SOURCE_CHARS:
        raise FormDefinitionError([f"{source}：表单文件过大（超过{MAX_SOURCE_CHARS}个字符）。"])
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（第{mark.line + 1}行第{mark.column + 1}列）" if mark is not None else ""
        detail = getattr(exc, "problem", None) or str(exc)
        raise FormDefinitionError([f"{source}：YAML 语法错误{where}：{detail}。"]) from None
    finally:
        loader.dispose()
    if loader.duplicate_keys:
        raise FormDefinitionError(
            [f"{source}：第{line}行的键“{key}”重复出现。" for key, line in loader.duplicate_keys]
        )
    return data


# ---------------------------------------------------------------- definition checks


def _stem(source: str) -> str | None:
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def _is_identifier(value: Any) -> bool:
    return (
        isinstance(value, str)
        and _IDENTIFIER.fullmatch(value) is not None
        and not keyword.iskeyword(value)
    )


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


class _Checker:
    """Collects problems while turning raw YAML data into FieldDefs."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []
        self.field_count = 0

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}：{where}{message}。")

    # -- form level

    def check_form(self, data: Any) -> Form | None:
        if data is None:
            self.problem("", "文件内容为空，应包含 key、title 和 fields")
            return None
        if not isinstance(data, dict):
            self.problem("", "顶层应为键值映射，包含 key、title 和 fields")
            return None
        for k in data:
            if k not in _TOP_KEYS:
                self.problem("", f"包含未知的顶层定义项“{k}”（只允许 key、title、fields、rules）")
        key = data.get("key")
        if key is None:
            self.problem("", "缺少表单标识 key")
        elif not _is_identifier(key):
            self.problem("", f"表单标识 key“{key}”无效，{_IDENTIFIER_RULE}")
        elif (stem := _stem(self.source)) is not None and key != stem:
            self.problem("", f"表单标识 key“{key}”与文件名“{stem}”不一致")
        title = data.get("title")
        if not _nonempty_str(title):
            self.problem("", "缺少表单标题 title（应为非空文字）")
        raw_fields = data.get("fields")
        fields: tuple[FieldDef, ...] = ()
        if not isinstance(raw_fields, list) or not raw_fields:
            self.problem("", "缺少字段列表 fields（应为非空列表）")
        else:
            fields = self.check_fields(raw_fields, parent="", depth=0)
        rules = self.check_rules(data, fields, "表单")
        if self.problems:
            return None
        return Form(key=key, title=title.strip(), fields=fields, source=self.source, rules=rules)

    def check_rules(
        self, raw: dict[str, Any], fields: tuple[FieldDef, ...], where: str
    ) -> tuple[Rule, ...]:
        """Rules of one level; read only once its fields are sound, so that a broken field
        is reported once and not again by every rule that names it."""
        if "rules" not in raw or self.problems:
            return ()
        siblings = {f.name: f for f in fields}
        reader = RuleReader(siblings, self.problem, self._rule_values)
        return reader.read(raw["rules"], where)

    def _rule_values(self, target: FieldDef, values: list[Any], where: str) -> list | None:
        return self._condition_values(target, values, where, "的条件中")

    # -- a list of sibling fields (the form, or one rows field)

    def check_fields(self, raw_fields: list[Any], parent: str, depth: int) -> tuple[FieldDef, ...]:
        built: list[tuple[FieldDef | None, dict[str, Any] | None, str]] = []
        seen: set[str] = set()
        for index, raw in enumerate(raw_fields):
            self.field_count += 1
            if self.field_count > MAX_FIELDS:
                if self.field_count == MAX_FIELDS + 1:
                    self.problem("", f"字段总数超过{MAX_FIELDS}个")
                break
            where = self._where(raw, parent, index)
            fdef = self.check_field(raw, where, parent, depth)
            name = raw.get("name") if isinstance(raw, dict) else None
            if _is_identifier(name):
                if name in seen:
                    self.problem(where, "与前面的字段重名")
                seen.add(name)
            built.append((fdef, raw if isinstance(raw, dict) else None, where))
        siblings = {f.name: f for f, _, _ in built if f is not None}
        result: list[FieldDef] = []
        for fdef, raw, where in built:
            if raw is not None and "required_when" in raw:
                # Checked even for fields with other problems, so that all are reported at once.
                conditions = self.check_required_when(
                    raw["required_when"], raw.get("name"), siblings, seen, where
                )
                if fdef is not None:
                    fdef = replace(fdef, required_when=conditions)
            if fdef is not None:
                result.append(fdef)
        return tuple(result)

    @staticmethod
    def _where(raw: Any, parent: str, index: int) -> str:
        name = raw.get("name") if isinstance(raw, dict) else None
        if _is_identifier(name):
            return f"字段“{parent}{name}”"
        shown = f"“{name}”" if isinstance(name, str) else ""
        if parent:
            return f"字段“{parent[:-1]}”的第{index + 1}个子字段{shown}"
        return f"第{index + 1}个字段{shown}"

    # -- one field

    def check_field(self, raw: Any, where: str, parent: str, depth: int) -> FieldDef | None:
        """Return the FieldDef (without required_when) if this field has no problems."""
        before = len(self.problems)
        if not isinstance(raw, dict):
            self.problem(where, "应为键值映射（包含 name、type、label 等）")
            return None
        for k in raw:
            if k not in _FIELD_KEYS:
                self.problem(where, f"包含未知的定义项“{k}”")
        name = raw.get("name")
        if name is None:
            self.problem(where, "缺少名称 name")
        elif not _is_identifier(name):
            shown = "" if isinstance(name, str) else f"“{name}”"
            self.problem(where, f"的名称{shown}无效，{_IDENTIFIER_RULE}")
        ftype = raw.get("type")
        if ftype is None:
            self.problem(where, "缺少类型 type")
        elif ftype not in FIELD_TYPES:
            self.problem(where, f"的类型“{ftype}”无效，应为以下之一：{'、'.join(FIELD_TYPES)}")
            ftype = None
        label = raw.get("label")
        if not _nonempty_str(label):
            self.problem(where, "缺少标签 label（应为非空文字）")
        required = raw.get("required", False)
        if not isinstance(required, bool):
            self.problem(where, "的 required 应为 true 或 false")
            required = False
        if "help" in raw and not isinstance(raw["help"], str):
            self.problem(where, "的提示 help 应为文字")
        prefill = raw.get("prefill")
        if prefill is not None and (not isinstance(prefill, str) or not _VARIABLE.fullmatch(prefill)
                                    or ftype in ("rows", "file") or parent):
            self.problem(where, "的 prefill 应为案件数据中的一个变量名（如 proposed_amount），"
                                "且只能用于表单顶层的非 rows、file 字段")
        if required and "required_when" in raw:
            self.problem(where, "不能同时设置 required 和 required_when")

        spec: dict[str, Any] = {}
        if ftype is not None:
            spec = self._check_type_specific(raw, ftype, where, parent, depth, required)
        if ftype == "rows" and "default" in raw:
            self.problem(where, "是 rows 类型，不能设置默认值 default")
        elif required and "default" in raw:
            self.problem(where, "是必填项，不能设置默认值 default")

        if len(self.problems) > before:
            return None
        attrs: dict[str, Any] = {"required": required, "help": raw.get("help"),
                                 "prefill": prefill, **spec}
        fdef = FieldDef(name=name, type=ftype, label=label.strip(), **attrs)
        if "default" in raw:
            fdef = self._with_default(fdef, raw["default"], where)
        return fdef

    def _check_type_specific(
        self, raw: dict[str, Any], ftype: str, where: str, parent: str, depth: int, required: bool
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        # options
        if ftype in CHOICE_TYPES:
            spec["options"] = self._check_options(raw.get("options"), where)
        elif "options" in raw:
            self.problem(where, f"是 {ftype} 类型，只有 choice/multi_choice 类型可以设置 options")
        # min / max
        if ftype in RANGE_TYPES:
            spec.update(self._check_range(raw, ftype, where))
        else:
            for k in ("min", "max"):
                if k in raw:
                    self.problem(
                        where, f"是 {ftype} 类型，只有 integer/number/money 类型可以设置 {k}"
                    )
        # max_length
        if ftype in LENGTH_TYPES:
            max_length = raw.get("max_length", DEFAULT_MAX_LENGTH[ftype])
            if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
                self.problem(where, "的 max_length 应为正整数")
            spec["max_length"] = max_length
        elif "max_length" in raw:
            self.problem(where, f"是 {ftype} 类型，只有 string/text 类型可以设置 max_length")
        # rows
        if ftype == "rows":
            spec.update(self._check_rows(raw, where, parent, depth, required))
        else:
            for k in ("fields", "min_rows", "max_rows", "rules"):
                if k in raw:
                    self.problem(where, f"是 {ftype} 类型，只有 rows 类型可以设置 {k}")
        return spec

    def _check_options(self, raw: Any, where: str) -> tuple[Option, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem(where, "是选择类型，必须提供非空的选项列表 options")
            return ()
        options: list[Option] = []
        seen: set[str] = set()
        for i, item in enumerate(raw, start=1):
            if not isinstance(item, dict):
                self.problem(where, f"的第{i}个选项应为 {{value: …, label: …}} 形式")
                continue
            for k in item:
                if k not in _OPTION_KEYS:
                    self.problem(
                        where, f"的第{i}个选项包含未知的定义项“{k}”（只允许 value、label）"
                    )
            value, label = item.get("value"), item.get("label")
            if not _nonempty_str(value):
                self.problem(
                    where,
                    f"的第{i}个选项值“{value}”无效，应为非空文字"
                    "（数字或 yes/no 之类的值请加引号，如 '1'）",
                )
            elif value in seen:
                self.problem(where, f"的选项值“{value}”重复")
            elif value != value.strip():
                self.problem(where, f"的选项值“{value}”首尾不能有空格")
            if not _nonempty_str(label):
                self.problem(where, f"的第{i}个选项缺少标签 label")
            if _nonempty_str(value) and _nonempty_str(label):
                seen.add(value)
                options.append(Option(value=value, label=label.strip()))
        return tuple(options)

    def _check_range(self, raw: dict[str, Any], ftype: str, where: str) -> dict[str, Any]:
        bounds: dict[str, Any] = {}
        for k in ("min", "max"):
            if k not in raw:
                continue
            value = raw[k]
            if not is_number(value):
                self.problem(where, f"的 {k} 应为数字")
            elif abs(value) > 10**15:  # beyond what a form field accepts (and Decimal quantizes)
                self.problem(where, f"的 {k} 超出范围")
            elif ftype == "integer" and not isinstance(value, int):
                self.problem(where, f"是整数类型，{k} 应为整数")
            elif ftype == "money" and Decimal(repr(value)) != Decimal(repr(value)).quantize(
                Decimal("0.01")
            ):
                self.problem(where, f"是金额类型，{k} 最多保留两位小数")
            else:
                bounds[k] = value
        if ftype == "money" and "min" not in raw:
            bounds["min"] = 0  # money is never negative unless the form says so
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            self.problem(where, "的 min 不能大于 max")
        return bounds

    def _check_rows(
        self, raw: dict[str, Any], where: str, parent: str, depth: int, required: bool
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        counts: dict[str, int] = {}
        for k in ("min_rows", "max_rows"):
            value = raw.get(k)
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.problem(where, f"的 {k} 应为非负整数")
            else:
                counts[k] = value
        min_rows = counts.get("min_rows", 1 if required else 0)
        max_rows = counts.get("max_rows", DEFAULT_MAX_ROWS)
        if max_rows < 1:
            self.problem(where, "的 max_rows 应至少为 1")
        if min_rows > max_rows:
            self.problem(where, f"的 min_rows（{min_rows}）不能大于 max_rows（{max_rows}）")
        spec.update(min_rows=min_rows, max_rows=max_rows, required=required or min_rows > 0)
        sub = raw.get("fields")
        name = raw.get("name")
        if not isinstance(sub, list) or not sub:
            self.problem(where, "是 rows 类型，必须提供非空的子字段列表 fields")
            spec["fields"] = ()
        elif depth + 1 > MAX_ROWS_DEPTH:
            self.problem(where, f"的 rows 嵌套超过{MAX_ROWS_DEPTH}层")
            spec["fields"] = ()
        else:
            prefix = f"{parent}{name if _is_identifier(name) else '?'}."
            spec["fields"] = self.check_fields(sub, parent=prefix, depth=depth + 1)
            spec["rules"] = self.check_rules(raw, spec["fields"], where)
        return spec

    def _with_default(self, fdef: FieldDef, value: Any, where: str) -> FieldDef | None:
        try:
            clean = field_for(fdef).deserialize(value)
        except ValidationError as err:
            detail = "；".join(m for msgs in flatten_errors(err.messages).values() for m in msgs)
            self.problem(where, f"的默认值“{value}”无效：{detail}")
            return None
        if isinstance(clean, list):
            clean = tuple(clean)
        return replace(fdef, default=clean, has_default=True)

    # -- required_when

    def check_required_when(
        self,
        raw: Any,
        own_name: Any,
        siblings: dict[str, FieldDef],
        names: set[str],
        where: str,
    ) -> tuple[Condition, ...]:
        if not isinstance(raw, dict) or not raw:
            self.problem(where, "的 required_when 应为 {字段名: 取值} 形式的非空映射")
            return ()
        conditions: list[Condition] = []
        for target_name, wanted in raw.items():
            if target_name == own_name:
                self.problem(where, "的 required_when 不能引用字段自身")
                continue
            if target_name not in names:
                self.problem(where, f"的 required_when 引用了不存在的同级字段“{target_name}”")
                continue
            target = siblings.get(target_name)
            if target is None:
                continue  # the target has its own problems, already reported
            values = wanted if isinstance(wanted, list) else [wanted]
            if not values:
                self.problem(where, f"的 required_when 中“{target_name}”的取值列表为空")
                continue
            clean = self._condition_values(target, values, where)
            if clean is not None:
                conditions.append(Condition(field=target_name, values=tuple(clean)))
        return tuple(conditions)

    def _condition_values(
        self, target: FieldDef, values: list[Any], where: str, what: str = "的 required_when 中"
    ) -> list | None:
        if target.type in ("rows", "file"):
            self.problem(
                where,
                f"{what}不能以 {target.type} 类型的字段“{target.name}”为条件",
            )
            return None
        if target.type == "multi_choice":
            checker = Choice(choices=[o.value for o in target.options or ()])
        else:
            checker = field_for(replace(target, required=False, has_default=False, default=None))
        clean: list[Any] = []
        for value in values:
            try:
                clean.append(checker.deserialize(value))
            except ValidationError as err:
                detail = "；".join(
                    m for msgs in flatten_errors(err.messages).values() for m in msgs
                )
                self.problem(
                    where,
                    f"{what}字段“{target.name}”的取值“{value}”无效：{detail}",
                )
                return None
        return clean
