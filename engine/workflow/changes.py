"""What a process's content is, so that deploying a bundle makes a new version only of the
processes that changed: editing one label in identification.bpmn must not make a "v2" of the
exit and review processes beside it, with no step changed.

A process's content is what its cases run on and show: the .bpmn files that define it or a
process it calls (diagram included), every .dmn file (decisions are shared bundle-wide), the
forms it resolves to, the print templates and the README the version keeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine.store.models import ProcedureVersion


def _definer(process_id: str) -> re.Pattern[str]:
    return re.compile(r"<(?:[\w-]+:)?process\b[^>]*\bid=[\"']" + re.escape(process_id) + "[\"']")


def files_defining(bpmn: Mapping[str, str], process_ids: Iterable[str]) -> dict[str, str]:
    """The .bpmn files (name → text) that define any of `process_ids`."""
    patterns = [_definer(pid) for pid in process_ids]
    return {name: xml for name, xml in sorted(bpmn.items())
            if any(p.search(xml) for p in patterns)}


def main_file(bpmn: Mapping[str, str], key: str) -> str | None:
    """The .bpmn file that defines process `key`."""
    return next(iter(files_defining(bpmn, [key])), None)


def content(key: str, called: Iterable[str], bpmn: Mapping[str, str], dmn: Mapping[str, str],
            resolved_forms: Mapping[str, str], documents: Mapping[str, str] | None,
            readme: str | None) -> dict[str, Any]:
    """Everything process `key` (calling `called`) runs on, comparable with ==."""
    return {
        "bpmn": files_defining(bpmn, [key, *called]),
        "dmn": dict(dmn),
        "forms": dict(resolved_forms),
        "documents": dict(documents or {}),
        "readme": readme,
    }


def unchanged(latest: ProcedureVersion | None, new_content: dict[str, Any],
              called: Iterable[str]) -> bool:
    """True if the newest stored version has exactly `new_content` (the process's own files
    found the same way, with the new model's called processes)."""
    if latest is None:
        return False
    stored = content(latest.key, called, latest.bpmn, latest.dmn, latest.forms,
                     latest.documents, latest.readme)
    return stored == new_content
