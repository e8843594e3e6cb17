"""Every .xlsx workbook Yimen writes leaves this module, which makes it safe to open.

Households and designers type the text that ends up in cells (names, addresses, titles).
openpyxl writes any string starting with `=` as a live formula, and spreadsheet programs
treat `+`, `-` and `@` as formula starters when a cell is edited, so `=HYPERLINK(...)` typed as
a head's name would become a working link (CWE-1236). Yimen never writes formulas: before
saving, every cell whose text starts with one of these characters is stored as plain text and
marked quote-prefixed, so it stays text even when an official edits it.
"""

from __future__ import annotations

import io

from flask import Response
from openpyxl import Workbook

from . import downloads

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@")


def neutralise(book: Workbook) -> None:
    """Turn every would-be formula into text, in every sheet, title rows included."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def to_bytes(book: Workbook) -> bytes:
    if not book.write_only:  # write-only sheets were made safe row by row (streamed_row)
        neutralise(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def streamed_row(sheet, values: list) -> list:
    """A row for a write-only sheet (large exports), each would-be formula made plain text
    as `neutralise` does, since a write-only workbook cannot be walked after it is filled."""
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value in values:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"
            cell.quotePrefix = True
            value = cell
        row.append(value)
    return row


def response(book: Workbook, filename: str) -> Response:
    """The workbook as a download named `filename` (any characters, RFC 5987)."""
    return Response(to_bytes(book), mimetype=MIMETYPE,
                    headers={"Content-Disposition": downloads.disposition(filename)})
