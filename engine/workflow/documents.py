"""Print documents a bundle may word for itself: which kinds there are, and the deploy checks.

A bundle's `documents/` folder may hold one HTML template per kind (`refusal_notice.html`…)
and `facts.yaml`, the region's facts that templates print (issuing body, hotline, review
body). Deploy checks them and stores them with every version of the bundle, like forms; a kind
the bundle leaves out prints with the shared default that the web layer ships. Templates are
designer text: they are parsed here only to refuse broken ones, and rendered by the web layer
in Jinja's sandbox with plain data, never with objects that reach the database.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

import yaml
from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

# kind → what it is, as deploy messages name it
KINDS = {
    "confirmation_sheet": "审核确认表",
    "notice_poster": "公示公告",
    "refusal_notice": "不予认定告知书",
}
FACTS_FILE = "facts.yaml"
FOLDER = "documents"
MAX_TEMPLATE_CHARS = 100_000
_FACT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def is_document(name: str) -> bool:
    """Whether a bundle file is a document template or the facts file (by folder or suffix)."""
    path = PurePosixPath(name.replace("\\", "/"))
    return path.suffix.lower() == ".html" or (
        path.parent.name == FOLDER and path.name == FACTS_FILE)


def stored_name(name: str) -> str:
    """The name a document is stored under: its file name without the folder."""
    return PurePosixPath(name.replace("\\", "/")).name


def check(documents: dict[str, str]) -> list[str]:
    """Every problem of a bundle's documents, in Chinese, naming the file."""
    problems: list[str] = []
    env = SandboxedEnvironment()
    for name, text in sorted(documents.items()):
        where = f"{FOLDER}/{name}"
        if name == FACTS_FILE:
            problems.extend(f"{where}：{p}" for p in _fact_problems(text))
            continue
        kind = PurePosixPath(name).stem
        if kind not in KINDS:
            known = "、".join(f"{k}.html（{v}）" for k, v in KINDS.items())
            problems.append(f"{where}：未知的文书模板，应为 {known} 之一")
            continue
        if len(text) > MAX_TEMPLATE_CHARS:
            problems.append(f"{where}：模板过长（不超过 {MAX_TEMPLATE_CHARS} 字符）")
            continue
        try:
            env.parse(text)
        except TemplateSyntaxError as exc:
            problems.append(f"{where} 第 {exc.lineno} 行：模板语法错误：{exc.message}")
    return problems


def facts(text: str | None) -> dict[str, str]:
    """The facts a `facts.yaml` states (checked at deploy; a bad file gives none)."""
    if not text or _fact_problems(text):
        return {}
    return {str(k): str(v) for k, v in (yaml.safe_load(text) or {}).items()}


def _fact_problems(text: str) -> list[str]:
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [f"不是有效的 YAML：{str(exc).splitlines()[0]}"]
    if data is None:
        return []
    if not isinstance(data, dict):
        return ["应为“名称: 文字”的列表，如 hotline: 0533-12345"]
    problems = []
    for key, value in data.items():
        if not isinstance(key, str) or not _FACT_KEY.match(key):
            problems.append(f"名称 {key!r} 应为小写英文字母、数字和下划线")
        elif not isinstance(value, str | int) or isinstance(value, bool):
            problems.append(f"{key} 的值应为一段文字")
        elif len(str(value)) > 500:
            problems.append(f"{key} 的值过长（不超过 500 字）")
    return problems
