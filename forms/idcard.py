"""Mainland resident identity numbers (GB 11643-1999), checked without any lookup tables.

Kept apart from the marshmallow field so that other code (imports, reports) can use the same
rules and messages.
"""

from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

MSG_FORMAT = "身份证号码应为18位：前17位为数字，最后一位为数字或X"
MSG_REGION = "身份证号码首位应为1至8（地址码无效）"
MSG_BIRTH_DATE = "身份证号码中的出生日期无效"
MSG_CHECKSUM = "身份证号码校验位错误"

_SHAPE = re.compile(r"\d{17}[\dX]")


class IdNumberError(ValueError):
    """An identity number is invalid; `message` is the Chinese text shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_char(first17: str) -> str:
    """Return the check character for the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize_id_number(value: str, today: date | None = None) -> str:
    """Return the number stripped and with an upper-case X, or raise IdNumberError saying why."""
    if not isinstance(value, str):
        raise IdNumberError(MSG_FORMAT)
    number = value.strip().upper()
    if len(number) != 18 or not _SHAPE.fullmatch(number):
        raise IdNumberError(MSG_FORMAT)
    if number[0] not in "12345678":
        raise IdNumberError(MSG_REGION)
    _birth_date(number, today or date.today())
    if check_char(number[:17]) != number[17]:
        raise IdNumberError(MSG_CHECKSUM)
    return number


def _birth_date(number: str, today: date) -> date:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(MSG_BIRTH_DATE) from None
    if born.year < 1900 or born > today:
        raise IdNumberError(MSG_BIRTH_DATE)
    return born


def is_valid_id_number(s: str) -> bool:
    """True if `s` is a valid 18-character resident identity number (lower-case x allowed)."""
    try:
        normalize_id_number(s)
    except IdNumberError:
        return False
    return True


def id_number_birth_date(s: str, today: date | None = None) -> date:
    """Birth date encoded in a valid identity number; raises IdNumberError if it is invalid
    (`today`, the engine's day, bounds the birth date; the system's date without it)."""
    number = normalize_id_number(s, today)
    return _birth_date(number, today or date.today())


def mask_id_number(number: str) -> str:
    """The number as lists and payrolls show it: the region code and the last four characters,
    the birth date and sequence hidden (370305********0048)."""
    text = (number or "").strip().upper()
    if len(text) < 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]
