"""How every file Yimen hands out is named: always a download, never rendered in the page."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import quote

from werkzeug.utils import secure_filename


def disposition(filename: str) -> str:
    """`attachment` with a plain ASCII name for old clients and the real one per RFC 5987."""
    suffix = PurePosixPath(filename).suffix.lower()
    fallback = secure_filename(filename)
    if not fallback or fallback == suffix.lstrip("."):
        fallback = f"attachment{suffix}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
