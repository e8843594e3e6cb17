"""Turn checked field definitions into marshmallow schemas, and flatten their errors.

Schemas are built once per Form (see Form.schema); loading is the hot path, so the per-load
work here is limited to two light hooks: dropping blank values and `required_when`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, pre_load, validates_schema
from marshmallow import fields as ma_fields

from . import fields as ff
from .model import Condition, FieldDef
from .rules import Rule, run_rules


def is_blank(value: Any) -> bool:
    """None and whitespace-only strings count as "not filled in"."""
    return value is None or (isinstance(value, str) and not value.strip())


class FormSchema(Schema):
    """Base of every generated form schema: Chinese schema messages, unknown keys refused."""

    error_messages: ClassVar[dict[str, str]] = {
        "unknown": ff.UNKNOWN,
        "type": "表单数据格式无效，应为键值对象",
    }
    #: (field name, conditions) for each field with `required_when`, set by build_schema_class.
    _conditional: ClassVar[tuple[tuple[str, tuple[Condition, ...]], ...]] = ()
    #: the level's cross-field rules (forms.rules), set by build_schema_class.
    _rules: ClassVar[tuple[Rule, ...]] = ()

    class Meta:
        unknown = RAISE

    @pre_load
    def _drop_blanks(self, data: Any, **kwargs: Any) -> Any:
        """Blank values of declared fields become absent, so `required` and defaults apply."""
        if not isinstance(data, Mapping):
            return data
        fields = self.load_fields
        if not any(is_blank(v) and k in fields for k, v in data.items()):
            return data
        return {k: v for k, v in data.items() if not (k in fields and is_blank(v))}

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_required_when(self, data: dict, original_data: Any, **kwargs: Any) -> None:
        """A conditionally required field is missing only if it was blank in the input too
        (a non-blank but invalid value already has its own error)."""
        if not self._conditional or not isinstance(original_data, Mapping):
            return
        errors = {
            name: [ff.REQUIRED]
            for name, conditions in self._conditional
            if name not in data
            and is_blank(original_data.get(name))
            and all(c.holds(data) for c in conditions)
        }
        if errors:
            raise ValidationError(errors)


    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_rules(self, data: dict, original_data: Any, **kwargs: Any) -> None:
        """Cross-field rules, on the clean values (a rule whose fields failed is skipped)."""
        if not self._rules or not isinstance(original_data, Mapping):
            return
        errors = run_rules(self._rules, data, original_data)
        if errors:
            raise ValidationError(errors)


class RowSchema(FormSchema):
    """Schema for one row of a `rows` field."""

    error_messages: ClassVar[dict[str, str]] = {"type": "每行数据格式无效，应为键值对象"}


def _default_factory(default: Any) -> Any:
    if isinstance(default, tuple):
        return lambda: list(default)
    return default


def field_for(fdef: FieldDef) -> ma_fields.Field:
    """The marshmallow field that validates values of `fdef`."""
    kwargs: dict[str, Any] = {"required": fdef.required}
    if fdef.has_default:
        kwargs["load_default"] = _default_factory(fdef.default)
    maker = _MAKERS[fdef.type]
    return maker(fdef, kwargs)


def _rows(fdef: FieldDef, kwargs: dict[str, Any]) -> ma_fields.Field:
    row_schema = build_schema_class(
        fdef.fields or (), name=f"{fdef.name}_row", row=True, rules=fdef.rules
    )
    return ff.Rows(row_schema, min_rows=fdef.min_rows or 0, max_rows=fdef.max_rows or 0, **kwargs)


_MAKERS: dict[str, Callable[[FieldDef, dict[str, Any]], ma_fields.Field]] = {
    "string": lambda f, kw: ff.Text(max_length=f.max_length or 0, text_format=f.format, **kw),
    "text": lambda f, kw: ff.Text(max_length=f.max_length or 0, **kw),
    "integer": lambda f, kw: ff.Integer(minimum=f.min, maximum=f.max, **kw),
    "number": lambda f, kw: ff.Number(minimum=f.min, maximum=f.max, **kw),
    "money": lambda f, kw: ff.Money(minimum=f.min, maximum=f.max, **kw),
    "date": lambda f, kw: ff.Date(**kw),
    "boolean": lambda f, kw: ff.Boolean(**kw),
    "id_number": lambda f, kw: ff.IdNumber(**kw),
    "phone": lambda f, kw: ff.Phone(**kw),
    "choice": lambda f, kw: ff.Choice(choices=[o.value for o in f.options or ()], **kw),
    "multi_choice": lambda f, kw: ff.MultiChoice(choices=[o.value for o in f.options or ()], **kw),
    "file": lambda f, kw: ff.FileRef(**kw),
    "rows": _rows,
}


def build_schema_class(
    fdefs: Iterable[FieldDef], *, name: str, row: bool = False, rules: tuple[Rule, ...] = ()
) -> type[FormSchema]:
    """A Schema class with one field per definition (declaration order kept)."""
    fdefs = tuple(fdefs)
    base = RowSchema if row else FormSchema
    cls = base.from_dict({f.name: field_for(f) for f in fdefs}, name=name)
    cls._conditional = tuple((f.name, f.required_when) for f in fdefs if f.required_when)
    cls._rules = rules
    return cls  # type: ignore[return-value]


def flatten_errors(messages: Any) -> dict[str, list[str]]:
    """marshmallow's nested error dict → {"members.1.id_number": [...]}.

    Row indexes stay zero-based; errors about a whole object (marshmallow's "_schema") go to
    the object's own path, or to "_schema" for the form itself.
    """
    out: dict[str, list[str]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key, sub in node.items():
                if key == "_schema":
                    walk(sub, path)
                else:
                    walk(sub, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item, path)
        else:
            out.setdefault(path or "_schema", []).append(str(node))

    walk(messages, "")
    return out
