"""marshmallow's nested errors for a form file → one Chinese sentence per problem.

The schemas (forms/definition.py, spec_fields.py, spec_rules.py) say *what* is wrong as a
fragment ("的 min 应为数字"); where it is wrong is the path of the error in the tree. This
module walks the errors alongside the file's data and writes the place in front, the way a
designer finds it in the file: `demo.yaml：字段“members.id_number”的类型“idcard”无效…。`
Fields are named by their dotted name, or by position when the name itself is broken; options
and rules by position (counted from 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .spec_values import is_identifier


def sentences(errors: Any, data: Any, source: str) -> list[str]:
    """Every message in `errors` (the form's), as "<source>：<place><message>。"."""
    out: list[str] = []
    _Writer(source, out).form(errors, data)
    return out


def _ordered(node: dict[Any, Any]) -> Iterator[tuple[Any, Any]]:
    """Errors about the whole object first, then list items by position, then the rest."""
    if "_schema" in node:
        yield "_schema", node["_schema"]
    yield from sorted(((k, v) for k, v in node.items() if isinstance(k, int)), key=lambda kv: kv[0])
    yield from ((k, v) for k, v in node.items() if k != "_schema" and not isinstance(k, int))


def _messages(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for _, sub in _ordered(node):
            yield from _messages(sub)
    elif isinstance(node, list | tuple):
        for sub in node:
            yield from _messages(sub)
    else:
        yield str(node)


def _item(raw: Any, index: Any) -> Any:
    return raw[index] if isinstance(raw, list) and isinstance(index, int) else None


def _get(raw: Any, key: str) -> Any:
    return raw.get(key) if isinstance(raw, dict) else None


def field_place(raw: Any, parent: str, index: int) -> str:
    """How a message names a field: by dotted name, or by position if its name is broken."""
    name = _get(raw, "name")
    if is_identifier(name):
        return f"字段“{parent}{name}”"
    shown = f"“{name}”" if isinstance(name, str) else ""
    if parent:
        return f"字段“{parent[:-1]}”的第{index + 1}个子字段{shown}"
    return f"第{index + 1}个字段{shown}"


class _Writer:
    def __init__(self, source: str, out: list[str]):
        self.source = source
        self.out = out

    def say(self, place: str, node: Any) -> None:
        for message in _messages(node):
            self.out.append(f"{self.source}：{place}{message}。")

    def form(self, errors: Any, data: Any) -> None:
        if not isinstance(errors, dict):
            self.say("", errors)
            return
        for key, sub in _ordered(errors):
            if key == "fields":
                self.fields(sub, _get(data, "fields"), parent="", place="")
            elif key == "rules":
                self.rules(sub, _get(data, "rules"), place="表单")
            else:
                self.say("", sub)

    def fields(self, errors: Any, raw: Any, parent: str, place: str) -> None:
        """Errors of a list of sibling fields; `place` names the list's owner."""
        if not isinstance(errors, dict):
            self.say(place, errors)
            return
        for index, sub in _ordered(errors):
            if not isinstance(index, int):
                self.say(place, sub)
                continue
            item = _item(raw, index)
            self.field(sub, item, parent, field_place(item, parent, index))

    def field(self, errors: Any, raw: Any, parent: str, place: str) -> None:
        if not isinstance(errors, dict):
            self.say(place, errors)
            return
        for key, sub in _ordered(errors):
            if key == "fields":
                name = _get(raw, "name")
                prefix = f"{parent}{name if is_identifier(name) else '?'}."
                self.fields(sub, _get(raw, "fields"), prefix, place)
            elif key == "rules":
                self.rules(sub, _get(raw, "rules"), place)
            elif key == "options" and isinstance(sub, dict):
                for index, option in _ordered(sub):
                    at = f"{place}的第{index + 1}个选项" if isinstance(index, int) else place
                    self.say(at, option)
            else:
                self.say(place, sub)

    def rules(self, errors: Any, raw: Any, place: str) -> None:
        if not isinstance(errors, dict):
            self.say(place, errors)
            return
        for index, sub in _ordered(errors):
            if not isinstance(index, int):
                self.say(place, sub)
                continue
            kind = _get(_item(raw, index), "kind")
            shown = f"（{kind}）" if isinstance(kind, str) else ""
            self.say(f"{place}的第{index + 1}条规则{shown}", sub)
