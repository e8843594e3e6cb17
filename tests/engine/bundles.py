"""Edited copies of the Linzi bundle, shared by the deploy and version tests."""

from __future__ import annotations

from engine.workflow import procedures
from tests.factories import LINZI


def linzi_edited(replacements: dict[str, str]) -> dict[str, bytes]:
    """Linzi's files with `old → new` applied once each to identification.bpmn.

    Every `old` must be present, so a bundle change that breaks an edit fails loudly
    instead of deploying the unedited bundle.
    """
    files = procedures.read_bundle_dir(LINZI)
    xml = files["identification.bpmn"].decode()
    for old, new in replacements.items():
        assert old in xml, old
        xml = xml.replace(old, new, 1)
    files["identification.bpmn"] = xml.encode()
    return files
