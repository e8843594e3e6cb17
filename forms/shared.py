"""The form files shipped in this package (forms/*.yaml), shared by every procedure."""

from __future__ import annotations

from importlib import resources

from .definition import load_form
from .form import Form


def shared_form_sources() -> dict[str, str]:
    """{form key: YAML text} for every shared form file, read fresh on each call.

    The deployer stores the text it resolves, so later edits to these files never change
    cases that are already running.
    """
    package = resources.files(__package__)
    return {
        entry.name[: -len(".yaml")]: entry.read_text(encoding="utf-8")
        for entry in sorted(package.iterdir(), key=lambda e: e.name)
        if entry.is_file() and entry.name.endswith(".yaml")
    }


def load_shared_forms() -> dict[str, Form]:
    """Every shared form, loaded and checked (raises FormDefinitionError on a broken file)."""
    return {
        key: load_form(text, source=f"forms/{key}.yaml")
        for key, text in shared_form_sources().items()
    }
