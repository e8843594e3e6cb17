"""Reading form files: YAML → checked, immutable field definitions → Form.

The checking is marshmallow: FormFileSchema here for the file, forms/spec_fields.py for each
field type, forms/spec_rules.py for each rule kind. Every problem in a definition is collected
(not just the first) and reported together as FormDefinitionError, each as a Chinese sentence
naming the source file and the field (forms/spec_problems.py), so that whoever wrote the file
can fix it in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import yaml
from marshmallow import ValidationError, fields, post_load, pre_load, validates

from .errors import FormDefinitionError
from .form import Form
from .spec_fields import FieldList
from .spec_problems import sentences
from .spec_rules import read_rules
from .spec_values import IDENTIFIER_RULE, Identifier, StrictSchema, Text, one_message

MAX_SOURCE_CHARS = 200_000
MAX_FIELDS = 500  # across all levels; YAML aliases could otherwise multiply fields without bound


def load_form(text: str, source: str = "<string>") -> Form:
    """Parse a form file and check the definition; raise FormDefinitionError with all problems.

    `source` names the file in messages; if it ends in .yaml/.yml, `key` must equal its stem.
    """
    data, capped = _cap_fields(_parse_yaml(text, source))
    problems = [f"{source}：字段总数超过{MAX_FIELDS}个。"] if capped else []
    try:
        form = FormFileSchema(source).load(data)
    except ValidationError as err:
        problems += sentences(err.messages, data, source)
    if problems:
        raise FormDefinitionError(problems)
    form.schema  # noqa: B018 - build the schema now, so the hot path never does
    return form


class FormFileSchema(StrictSchema):
    """A whole form file: `key`, `title`, `fields` and optional `rules`, nothing else."""

    unknown_key: ClassVar[str] = ("包含未知的顶层定义项“{key}”"
                                  "（只允许 key、title、title_en、fields、rules）")
    error_messages: ClassVar[dict[str, str]] = {
        "type": "顶层应为键值映射，包含 key、title 和 fields"
    }

    key = Identifier(required=True, error_messages={
        "required": "缺少表单标识 key", "null": "缺少表单标识 key",
        "invalid": "表单标识 key“{input}”无效，" + IDENTIFIER_RULE,
    })
    title = Text("缺少表单标题 title（应为非空文字）", required=True)
    title_en = Text("英文标题 title_en 应为非空文字")
    form_fields = FieldList(
        data_key="fields",
        required=True,
        error_messages=one_message("缺少字段列表 fields（应为非空列表）"),
    )
    rules = fields.List(fields.Raw(), error_messages=one_message("的规则 rules 应为列表"))

    def __init__(self, source: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.source = source

    @pre_load
    def _not_empty(self, data: Any, **kwargs: Any) -> Any:
        if data is None:
            raise ValidationError("文件内容为空，应包含 key、title 和 fields")
        return data

    @validates("key")
    def _key_is_file_name(self, value: str, **kwargs: Any) -> None:
        stem = _stem(self.source)
        if stem is not None and value != stem:
            raise ValidationError(f"表单标识 key“{value}”与文件名“{stem}”不一致")

    @post_load
    def _form(self, data: dict, **kwargs: Any) -> Form:
        fields_ = data["form_fields"]
        rules = read_rules(data.get("rules"), fields_)
        return Form(key=data["key"], title=data["title"], fields=fields_, source=self.source,
                    rules=rules, title_en=data.get("title_en"))


def _stem(source: str) -> str | None:
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def _cap_fields(data: Any) -> tuple[Any, bool]:
    """`data` with at most MAX_FIELDS fields, counted depth first through rows (a copy where
    cut: YAML aliases share objects), and whether any were cut."""
    count = 0

    def cut(items: list[Any]) -> list[Any]:
        nonlocal count
        kept: list[Any] = []
        for item in items:
            count += 1
            if count > MAX_FIELDS:
                break
            if isinstance(item, dict) and item.get("type") == "rows":
                sub = item.get("fields")
                if isinstance(sub, list):
                    item = {**item, "fields": cut(sub)}
            kept.append(item)
        return kept

    if not isinstance(data, Mapping) or not isinstance(data.get("fields"), list):
        return data, False
    capped = {**data, "fields": cut(data["fields"])}
    return (capped, True) if count > MAX_FIELDS else (data, False)


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
