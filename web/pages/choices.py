"""The village <option>s of the lists' filters, built once per list of villages.

A district has a thousand villages: a template loop over them took most of the inbox page's
time, and escaping them on every request still took a fifth. The engine hands back the same
tuple while the orgs stay as they are (engine.casework.workspace.villages_under), so the
escaped options are kept for it here and only the chosen one is marked per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from html import escape

from markupsafe import Markup

from engine.casework.workspace import Village


@lru_cache(maxsize=64)
def _options(villages: tuple[Village, ...]) -> dict[str, str]:
    """code -> its escaped <option>, in the villages' order."""
    return {code: f'<option value="{escape(code)}">{escape(name)}</option>'
            for code, name in villages}


def village_options(villages: Sequence[Village], chosen: str | None) -> Markup:
    """Every village as an <option>, the `chosen` code selected."""
    options = _options(tuple(villages))
    html = "".join(options.values())
    if chosen in options:
        plain = options[chosen]
        html = html.replace(plain, plain.replace('">', '" selected>', 1), 1)
    return Markup(html)
