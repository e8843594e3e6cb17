"""The .xlsx ledger: each level gets the cases it may see, ID numbers kept as text."""

import io

from openpyxl import load_workbook

from engine.casework import cases
from engine.time import clock
from tests.factories import after_notice, walk
from tests.web.conftest import household, sign_in


def start(world, village="V11", name="王建国"):
    clerk = "clerk2" if village.startswith("V2") else "clerk1"
    return cases.start(world.db, world.user(clerk), "linzi_identification", village,
                       household(head_name=name), now=clock.now())


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    return list(book.active.iter_rows(values_only=True))


def test_each_level_exports_the_cases_it_may_see(world, client):
    a = start(world, "V11", "张三")
    start(world, "V12", "李四")
    start(world, "V21", "王五")
    sign_in(client, "vil11")
    rows = sheet_rows(client.get("/cases/ledger.xlsx"))
    assert "甲一村" in rows[0][0] and rows[2][0] == "案件编号"
    assert [r[1] for r in rows[3:]] == ["张三"]
    assert rows[3][0] == a.id and rows[3][2] == a.application["head_id_number"]
    assert rows[3][5:9] == ("甲镇", "甲一村", "因病", "办理中")
    sign_in(client, "town1")
    assert [r[1] for r in sheet_rows(client.get("/cases/ledger.xlsx"))[3:]] == ["张三", "李四"]
    sign_in(client, "dist")
    assert len(sheet_rows(client.get("/cases/ledger.xlsx"))[3:]) == 3
    assert [r[1] for r in sheet_rows(client.get("/cases/ledger.xlsx?village=V21"))[3:]] == ["王五"]


def test_an_approved_case_lists_its_category_and_monthly_amount(world, client):
    case = start(world)
    at = walk(world, case.id, ["approve"] * 5)
    after_notice(world.db, at)
    sign_in(client, "dist")
    rows = sheet_rows(client.get("/cases/ledger.xlsx?status=approved"))
    assert len(rows) == 4
    assert rows[3][8] == "已批准" and rows[3][11] == "困难家庭" and rows[3][12] == 420.0
    assert rows[3][10], "closed date"


def test_a_township_book_has_a_register_per_village_and_the_district_one_per_township(
        world, client):
    start(world, "V11", "张三")
    start(world, "V12", "李四")
    start(world, "V21", "王五")
    sign_in(client, "town1")
    book = load_workbook(io.BytesIO(client.get("/cases/ledger.xlsx").data))
    assert book.sheetnames == ["台账", "甲一村", "甲二村"]
    assert [r[1] for r in list(book["甲二村"].iter_rows(values_only=True))[3:]] == ["李四"]
    sign_in(client, "dist")
    book = load_workbook(io.BytesIO(client.get("/cases/ledger.xlsx").data))
    assert book.sheetnames == ["台账", "乙镇", "甲镇"]
    assert len(list(book["甲镇"].iter_rows(values_only=True))[3:]) == 2


def test_a_household_table_for_those_who_may_see_the_case(world, client):
    case = start(world, "V11", "张三")
    sign_in(client, "vil11")
    res = client.get(f"/cases/{case.id}/household.xlsx")
    assert res.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(res.data)).active.iter_rows(values_only=True)
             for c in row if c is not None]
    assert "张三户 困难家庭户表" in cells and "家庭成员" in cells and "户主" in cells
    sign_in(client, "vil12")
    assert client.get(f"/cases/{case.id}/household.xlsx").status_code == 404
