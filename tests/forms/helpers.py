"""Small builders for one-off forms used by the forms tests."""

from __future__ import annotations

from typing import Any

import yaml

from forms import Form, FormInvalid, load_form


def form_from(
    fields: list[dict[str, Any]], key: str = "test_form", title: str = "测试表单"
) -> Form:
    """Load a form definition given as Python data (dumped to YAML, as a file would be)."""
    text = yaml.safe_dump({"key": key, "title": title, "fields": fields}, allow_unicode=True)
    return load_form(text)


def single(ftype: str, **attrs: Any) -> Form:
    """A form with one optional field `v` of the given type."""
    return form_from([{"name": "v", "type": ftype, "label": "值", **attrs}])


def clean(ftype: str, value: Any, **attrs: Any) -> Any:
    """The clean value of `value` for a one-field form of type `ftype`."""
    return single(ftype, **attrs).validate({"v": value})["v"]


def errors(ftype: str, value: Any, **attrs: Any) -> list[str]:
    """The messages for `value` in a one-field form; fails the test if it is accepted."""
    try:
        single(ftype, **attrs).validate({"v": value})
    except FormInvalid as exc:
        return exc.fields["v"]
    raise AssertionError(f"{value!r} was accepted as {ftype}")
