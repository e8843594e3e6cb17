"""Rendering print documents from designer-editable templates, in Jinja's sandbox.

A document's wording is a template per kind: the bundle's own (deployed with its version,
engine.workflow.documents) or the shared default in web/templates/documents/. Templates are
designer text, so they render in a `SandboxedEnvironment` with plain data from the engine
(engine.casework.documents) and a few filters; a bundle template that fails while rendering is
replaced by the default, and the page says so (on screen only), rather than failing the page.
"""

from __future__ import annotations

import logging
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
            return Markup(_compiled(own).render(context)), None
        except Exception as exc:  # designer text: any failure falls back to the default
            log.warning("document template %s failed: %s", kind, type(exc).__name__)
            problem = f"本地区的{documents.KINDS[kind]}模板有误（{type(exc).__name__}: {exc}），" \
                      "已按默认模板显示"
            return Markup(_compiled(default_source(kind)).render(context)), problem
    return Markup(_compiled(default_source(kind)).render(context)), None
