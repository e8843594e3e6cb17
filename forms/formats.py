"""Text formats a `string` field may declare (`format:`): a closed set of checks written here,
never a pattern from a form file (a designer's regular expression could run for minutes).

Each format takes the stripped text and returns it cleaned, or raises ValueError with the
Chinese message the official sees. The roll import (engine/data/roll_file.py) uses the same
checks for the same columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable

BANK_ACCOUNT_MESSAGE = "银行账号应为8至32位数字"
_DIGITS = re.compile(r"[0-9]{8,32}")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－　", "0123456789- ")


def bank_account(text: str) -> str:
    """A bank or social-security card account: 8–32 ASCII digits once spaces and hyphens are
    removed (full-width digits typed with a Chinese input method count as digits)."""
    digits = text.translate(_FULL_WIDTH).replace(" ", "").replace("-", "")
    if not _DIGITS.fullmatch(digits):
        raise ValueError(BANK_ACCOUNT_MESSAGE)
    return digits


FORMATS: dict[str, Callable[[str], str]] = {"bank_account": bank_account}
