"""Text typed by households never becomes a live formula in a workbook Yimen writes."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from engine.casework import cases
from engine.time import clock
from tests.web.conftest import household, sign_in
from web import xlsx

PAYLOADS = ['=HYPERLINK("http://x","点我")', "=1+1"]


def read(data: bytes):
    return load_workbook(io.BytesIO(data))


def cells_with(book, text: str) -> list:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, str) and text in cell.value]


def assert_text(cell, value: str) -> None:
    assert cell.data_type == "s", f"{cell.coordinate} is {cell.data_type!r}, not text"
    assert cell.value == value


@pytest.mark.parametrize("name", PAYLOADS)
def test_a_formula_as_head_name_stays_text_in_the_ledger_and_the_household_table(
        world, client, name):
    application = household(head_name=name)
    application["members"][0]["name"] = name
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       application, now=clock.now())
    assert case.applicant_name == name
    sign_in(client, "town1")  # the township's book has a register per village too
    ledger = client.get("/cases/ledger.xlsx")
    assert ledger.status_code == 200
    found = cells_with(read(ledger.data), name)
    assert len(found) == 2, "the first sheet and the village's register"
    for cell in found:
        assert_text(cell, name)
    table = client.get(f"/cases/{case.id}/household.xlsx")
    assert table.status_code == 200
    book = read(table.data)
    assert_text(book.active["A1"], f"{name}户 困难家庭户表")  # the title cell
    found = cells_with(book, name)
    assert len(found) >= 3, "title, head's name and the member row"
    for cell in found:
        assert cell.data_type == "s" and cell.value.startswith(name)


@pytest.mark.parametrize("text", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "=cmd|' /C calc'!A0"])
def test_every_formula_starter_is_written_as_quote_prefixed_text(text):
    book = Workbook()
    book.active.append(["标题", text, 42, -3, "a=b"])
    book.create_sheet("第二页").append([text])
    again = read(xlsx.to_bytes(book))
    for sheet in again.worksheets:
        cell = sheet.cell(row=1, column=2 if sheet.title != "第二页" else 1)
        assert_text(cell, text)
        assert cell.quotePrefix, "stays text when an official edits the cell"
    first = again.active
    assert [c.value for c in first[1]] == ["标题", text, 42, -3, "a=b"]
    assert first["C1"].data_type == "n" and first["D1"].data_type == "n"
