"""The matched support programs on the case and household pages, and the district's list."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from engine.workflow import procedures
from tests.engine.test_programs import enrolled
from tests.engine.test_regions import BPMN
from tests.factories import make_world
from tests.web.conftest import sign_in, text


@pytest.fixture
def web_world(db, csrf_on):
    w = make_world(db, deploy=False)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "jiangmen"))
    return w


def test_case_and_household_pages_show_them_and_the_export(web_world, client):
    case = enrolled(web_world)
    sign_in(client, "dist")
    page = text(client.get(f"/cases/{case.id}"))
    assert 'id="programs"' in page and "教育资助" in page and "王小明" in page
    page = text(client.get(f"/households/{case.household_id}"))
    assert page.count('<tr class="program">') == 4
    book = client.get("/admin/programs.xlsx?region=D1")
    assert book.status_code == 200
    sheets = load_workbook(BytesIO(book.data))
    assert sheets.sheetnames == ["医疗救助", "就业帮扶", "教育资助", "残疾人两项补贴"]
    rows = list(sheets["教育资助"].iter_rows(values_only=True))
    assert rows[0] == ("村（居）", "户主姓名", "家庭成员", "身份证号码", "匹配依据", "案件编号")
    assert rows[1][1:3] == ("王建国", "王小明") and rows[1][5] == case.id
    assert case.application["members"][2]["id_number"] not in str(rows)
