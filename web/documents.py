"""Rendering print documents from designer-editable templates, in Jinja's sandbox.

A document's wording is a template per kind: the bundle's own (deployed with its version,
engine.workflow.documents) or the shared default in web/templates/documents/. Templates are
designer text, so they render in a `SandboxedEnvironment` with plain data from the engine
(engine.casework.documents) and a few filters; a bundle template that fails while rendering is
replaced by the default, and the page says so (on screen only), rather than failing the page.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from engine.store import amounts
from engine.workflow import documents

from .i18n import LOCAL_TZ

DEFAULTS = Path(__file__).parent / "templates" / "documents"
log = logging.getLogger(__name__)


def _cn_date(value: datetime | date | None) -> str:
    """2026年6月1日, in Beijing time; blank lines to fill by hand when there is no date."""
    if value is None:
        return "____年__月__日"
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TZ).date()
    return f"{value.year}年{value.month}月{value.day}日"


def _money(value: Any) -> str:
    return "—" if value is None or value == "" else f"{amounts.fen(value):,.2f}"


def _env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(cn_date=_cn_date, money=_money)
    return env


_ENV = _env()
# Bounds on a bundle's template, as on every designer text: the sandbox stops what it may reach,
# these stop how long it runs and how much it writes.
TEMPLATE_SECONDS = 2.0
MAX_OUTPUT_CHARS = 2_000_000


class TemplateTooCostly(Exception):
    """A bundle template ran past TEMPLATE_SECONDS or wrote more than MAX_OUTPUT_CHARS."""


def _bounded(template: Any, context: dict[str, Any]) -> str:
    """Render `template` within the bounds. Jinja compiles a template to Python, so a trace
    on its own frames (file "<template>") checks the deadline on every line it runs, loops with
    empty bodies included; the caller's frames are not traced."""
    deadline = time.monotonic() + TEMPLATE_SECONDS

    def on_line(frame: Any, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise TemplateTooCostly(f"运行超过 {TEMPLATE_SECONDS:g} 秒")
        return on_line

    def on_call(frame: Any, event: str, arg: Any) -> Any:
        return on_line if frame.f_code.co_filename == "<template>" else None

    chunks: list[str] = []
    size = 0
    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateTooCostly(f"输出超过 {MAX_OUTPUT_CHARS} 个字符")
            chunks.append(chunk)
    finally:
        sys.settrace(previous)
    return "".join(chunks)


@lru_cache(maxsize=64)
def _compiled(source: str):
    """Templates parsed once per process (by their text, so a new deploy is a new entry)."""
    return _ENV.from_string(source)


@cache
def default_source(kind: str) -> str:
    return (DEFAULTS / f"{kind}.html").read_text(encoding="utf-8")


@cache
def _default_facts() -> dict[str, str]:
    return documents.facts((DEFAULTS / documents.FACTS_FILE).read_text(encoding="utf-8"))


def facts_of(bundle_documents: dict[str, str]) -> dict[str, str]:
    """The region's facts: the shared defaults, overridden by the bundle's facts.yaml."""
    return {**_default_facts(), **documents.facts(bundle_documents.get(documents.FACTS_FILE))}


def render(kind: str, bundle_documents: dict[str, str],
           context: dict[str, Any]) -> tuple[Markup, str | None]:
    """(HTML, problem): the bundle's template for `kind`, or the default; `problem` says why a
    bundle template was not used although the bundle has one."""
    assert kind in documents.KINDS
    context = {**context, "facts": facts_of(bundle_documents)}
    own = bundle_documents.get(f"{kind}.html")
    if own is not None:
        try:
            return Markup(_bounded(_compiled(own), context)), None
        except Exception as exc:  # designer text: any failure falls back to the default
            log.warning("document template %s failed: %s", kind, type(exc).__name__)
            problem = f"本地区的{documents.KINDS[kind]}模板有误（{type(exc).__name__}: {exc}），" \
                      "已按默认模板显示"
            return Markup(_compiled(default_source(kind)).render(context)), problem
    return Markup(_compiled(default_source(kind)).render(context)), None
