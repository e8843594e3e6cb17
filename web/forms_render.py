"""Declarative forms in HTML: posted fields back to the nested dict a form validates, and
values and error paths turned into what an official reads.

Field names in HTML: `head_name` at the top, `members-0-name` inside a rows field. Parsing
keeps numbers and dates as the typed strings (the form's schema coerces them) and omits
empty values, so that "required" is the schema's decision, not the browser's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage, MultiDict

import forms
from engine.store.errors import Invalid
from forms.model import FieldDef

# Keeps an uploaded file and returns the id the form stores (or raises Invalid).
SaveUpload = Callable[[FileStorage, str], str]


@dataclass
class _Post:
    values: MultiDict
    files: MultiDict | None = None
    save: SaveUpload | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def parse(form: forms.Form, post: MultiDict, files: MultiDict | None = None,
          save: SaveUpload | None = None) -> dict[str, Any]:
    """The submission as the form expects it: rows become lists of dicts, blanks vanish.

    A `file` field takes a newly uploaded file (kept through `save`) or else the id already
    held in its hidden input. A refused upload raises Invalid, naming the field's path.
    """
    ctx = _Post(post, files, save)
    data = _parse_fields(form.fields, ctx, "", "")
    if ctx.errors:
        raise Invalid(ctx.errors)
    return data


def _parse_fields(fields: tuple[FieldDef, ...], ctx: _Post, prefix: str,
                  path: str) -> dict[str, Any]:
    post = ctx.values
    out: dict[str, Any] = {}
    for fdef in fields:
        name = prefix + fdef.name
        if fdef.type == "rows":
            rows = _parse_rows(fdef, ctx, name, path + fdef.name)
            if rows:
                out[fdef.name] = rows
        elif fdef.type == "file":
            value = _upload(ctx, name, path + fdef.name) or (post.get(name) or "").strip()
            if value:
                out[fdef.name] = value
        elif fdef.type == "multi_choice":
            values = [v.strip() for v in post.getlist(name) if v.strip()]
            if values:
                out[fdef.name] = values
        else:
            value = (post.get(name) or "").strip()
            if value:
                out[fdef.name] = value
    return out


def _upload(ctx: _Post, name: str, path: str) -> str | None:
    upload = ctx.files.get(name) if ctx.files is not None else None
    if upload is None or not upload.filename or ctx.save is None:
        return None
    try:
        return ctx.save(upload, path)
    except Invalid as err:
        for messages in err.fields.values():
            ctx.errors.setdefault(path, []).extend(messages)
        return None


def _parse_rows(fdef: FieldDef, ctx: _Post, name: str, path: str) -> list[dict[str, Any]]:
    """Rows in index order; gaps (rows removed in the browser) and all-blank rows dropped."""
    pattern = re.compile(re.escape(name) + r"-(\d+)-")
    keys = list(ctx.values.keys()) + (list(ctx.files.keys()) if ctx.files else [])
    indexes = sorted({int(m.group(1)) for key in keys if (m := pattern.match(key))})
    rows: list[dict[str, Any]] = []
    for index in indexes:
        row = _parse_fields(fdef.fields or (), ctx, f"{name}-{index}-",
                            f"{path}.{len(rows)}.")
        if row:
            rows.append(row)
    return rows


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def label_of(thing: Any) -> str:
    """A field's or option's label in the page's language: `label_en` with ?lang=en when the
    form file gives one, else the Chinese `label`."""
    english = getattr(thing, "label_en", None)
    return english if english and _english() else thing.label


def help_of(fdef: FieldDef) -> str | None:
    return fdef.help_en if fdef.help_en and _english() else fdef.help


def title_of(form: forms.Form) -> str:
    return form.title_en if form.title_en and _english() else form.title


def display(fdef: FieldDef, value: Any) -> str:
    """A stored value as text: option labels, 是/否, money with two decimals."""
    if value is None or value == "":
        return ""
    if fdef.type == "boolean":
        if value in (True, "true"):
            return _("是")
        if value in (False, "false"):
            return _("否")
    if fdef.type in ("choice", "multi_choice"):
        values = value if isinstance(value, list | tuple) else [value]
        labels = {o.value: label_of(o) for o in fdef.options or ()}
        return (", " if _english() else "、").join(labels.get(v) or str(v) for v in values)
    if fdef.type == "money" and isinstance(value, int | float | Decimal) \
            and not isinstance(value, bool):
        return f"{value:,.2f}"
    return str(value)


def row_count(fdef: FieldDef, value: Any) -> int:
    """How many row blocks to draw: the rows there are, or the minimum (at least one blank)."""
    if isinstance(value, list) and value:
        return len(value)
    return max(fdef.min_rows or 0, 1)


def is_checked(value: Any, option: str) -> bool:
    if isinstance(value, list | tuple):
        return option in value
    return value == option


def required_when(fdef: FieldDef) -> dict[str, list[Any]]:
    """A field's `required_when` as {sibling field: values}, for the page's script to show
    the field's * while one of those values is chosen."""
    return {c.field: list(c.values) for c in fdef.required_when}


def error_summary(form: forms.Form,
                  errors: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    """(where, message, input id) such as ("家庭成员 第2行 身份证号码", "校验码错误",
    "f-members-1-id_number"), so that the summary can link to each field."""
    out = []
    for path, messages in errors.items():
        where = _where(form, path)
        for message in messages:
            out.append((where, message, "f-" + path.replace(".", "-")))
    return out


def _where(form: forms.Form, path: str) -> str:
    parts = path.split(".")
    labels: list[str] = []
    fields: tuple[FieldDef, ...] | None = form.fields
    for part in parts:
        if part.isdigit():
            labels.append(_("第%(n)s行", n=int(part) + 1))
            continue
        found = next((f for f in fields or () if f.name == part), None)
        if found is None:
            labels.append(part)
            fields = None
            continue
        labels.append(label_of(found))
        fields = found.fields
    return " ".join(labels)


def register(app) -> None:
    app.jinja_env.globals.update(field_display=display, row_count=row_count,
                                 is_checked=is_checked, required_when=required_when)
    app.jinja_env.filters.update(label=label_of, help_text=help_of, form_title=title_of)


def choice_text(form: forms.Form, field_name: str, value: Any) -> str:
    """A stored choice as the page's language names it: the option's `label_en` with ?lang=en
    when the form gives one, else the form's own (Chinese) label for it."""
    option = next((o for o in form.field(field_name).options or () if o.value == value), None)
    return label_of(option) if option is not None else form.choice_label(field_name, value)
