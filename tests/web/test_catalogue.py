"""The English catalogue covers the page chrome: every message web/ marks for translation
(extracted as `pybabel extract -F babel.cfg` does) has a non-empty English msgstr, not marked
fuzzy (a fuzzy entry is left out of the compiled catalogue, so the page stays Chinese), with the
same placeholders, and the compiled .mo is the .po as it stands (no forgotten `pybabel compile`)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = ROOT / "web" / "translations" / "en" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None,
            "ngettext": (1, 2), "lazy_ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")


def catalogue():
    with (MESSAGES / "messages.po").open("rb") as po:
        return read_po(po, locale="en")


def marked() -> dict[str, str]:
    """{msgid: where} for every message web/ marks, as babel.cfg tells pybabel to look."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, str] = {}
    for name, line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        for msgid in (message if isinstance(message, tuple) else (message,)):
            found.setdefault(msgid, f"{name}:{line}")
    return found


def test_every_marked_message_has_an_english_translation():
    found = marked()
    assert len(found) > 500, "the extraction still reads the templates and the Python"
    assert {"待办", "受理申请", "没有流程发生变化，未部署新版本"} <= set(found)
    po = catalogue()
    untranslated = [f"{where}: {msgid}" for msgid, where in sorted(found.items())
                    if msgid not in po or not po[msgid].string or po[msgid].fuzzy]
    assert untranslated == []


def test_no_msgid_in_the_catalogue_lacks_an_english_msgstr_with_its_placeholders():
    po = catalogue()
    empty = [m.id for m in po if m.id and not m.string]
    assert empty == []
    fuzzy = [m.id for m in po if m.id and m.fuzzy]  # `pybabel compile` leaves them out
    assert fuzzy == []
    mismatched = [m.id for m in po if m.id and isinstance(m.id, str)
                  and sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))]
    assert mismatched == []


def test_the_compiled_catalogue_is_the_po_as_it_stands():
    with (MESSAGES / "messages.mo").open("rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    assert compiled == {m.id: m.string for m in catalogue() if m.id}, (
        "run `pybabel compile -d web/translations`")
