"""The payroll over HTTP (GET /api/payroll, the page, its xlsx, the district's confirm button)
and the roll import page with its per-row report; the CLI's import and its refusal."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from engine.data import roll
from engine.people import accounts
from engine.store.models import Household, Payroll
from tests.engine.test_payroll import HEAD_B, HEAD_D, ROWS, june
from tests.engine.test_roll_import import xlsx
from tests.factories import make_world
from tests.web.conftest import csrf_token, sign_in, text


@pytest.fixture
def world(db, csrf_on):
    w = make_world(db)
    roll.import_roll(db, w.user("dist"), "D1", xlsx(ROWS))
    return w


def bearer(world, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_token(world.db, world.user(username))}"}


def test_the_api_answers_as_the_contract_says(world, client):
    june(world)
    response = client.get("/api/payroll?region=T1&month=2026-06", headers=bearer(world, "town1"))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["month"], body["region"], body["frozen"], body["total"]) == (
        "2026-06", "T1", False, 1405.0)
    assert [(r["name"], r["account"], r["amount"], r["change"]) for r in body["rows"]] == [
        ("张一", "6217002870012345", 650.0, "adjusted"),
        ("王二", "6230520460001234", 300.0, "gradual_exit"),
        ("赵三", "6217002870099999", 455.0, "new")]
    assert body["rows"][1]["id_number_masked"] == HEAD_B[:6] + "********" + HEAD_B[-4:]
    assert set(body["rows"][0]) >= {"household", "name", "id_number_masked", "account",
                                    "amount", "change"}
    district = client.get("/api/payroll?region=D1&month=2026-06",
                          headers=bearer(world, "dist")).get_json()
    assert [(r["name"], r["amount"], r["change"]) for r in district["rows"]][-1] == (
        "钱四", 0.0, "stopped")
    # scope and bad input: 403 for another township, 422 naming the field, 401 without a token
    assert client.get("/api/payroll?region=T1&month=2026-06",
                      headers=bearer(world, "town2")).status_code == 403
    assert client.get("/api/payroll?region=T1&month=2026-06",
                      headers=bearer(world, "vil11")).status_code == 403
    bad = client.get("/api/payroll?region=T1&month=June", headers=bearer(world, "town1"))
    assert bad.status_code == 422 and list(bad.get_json()["error"]["fields"]) == ["month"]
    missing = client.get("/api/payroll?month=2026-06", headers=bearer(world, "town1"))
    assert missing.status_code == 422
    assert client.get("/api/payroll?region=T1&month=2026-06").status_code == 401


def test_the_page_downloads_a_plain_workbook_and_the_district_confirms(world, client):
    june(world)
    sign_in(client, "town1")
    page = text(client.get("/payroll?month=2026-06"))
    assert "甲镇" in page and "确认本月花名册" not in page and "/payroll/download" in page
    sign_in(client, "dist")
    page = text(client.get("/payroll?region=D1&month=2026-06"))
    assert "未确认" in page and "确认本月花名册" in page
    download = client.get("/payroll/download?region=D1&month=2026-06")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(download.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("序号", "村（居）代码", "村（居）", "户主姓名", "身份证号码", "银行账号",
                       "金额（元）", "变动")
    assert [(r[0], r[1], r[3], r[5], r[6], r[7]) for r in rows[1:]] == [
        (1, "V11", "张一", "6217002870012345", 650, "调整"),
        (2, "V11", "王二", "6230520460001234", 300, "渐退"),
        (3, "V12", "赵三", "6217002870099999", 455, "新增")]
    totals = list(book["村汇总"].iter_rows(values_only=True))
    assert totals[1:] == [("V11", "甲一村", 2, 950), ("V12", "甲二村", 1, 455),
                          ("V21", "乙一村", 0, 0), ("合计", None, 3, 1405)]
    stopped = list(book["停发"].iter_rows(values_only=True))
    assert stopped[1][2] == "钱四" and stopped[1][3] == HEAD_D[:6] + "********" + HEAD_D[-4:]
    confirmed = client.post("/payroll/confirm", data={
        "csrf_token": csrf_token(page), "region": "D1", "month": "2026-06"},
        follow_redirects=True)
    assert confirmed.status_code == 200 and "已确认 2026-06 发放花名册：3 户" in text(confirmed)
    assert world.db.scalar(select(func.count()).select_from(Payroll)) == 1
    again = client.post("/payroll/confirm", data={
        "csrf_token": csrf_token(page), "region": "D1", "month": "2026-06"})
    assert again.status_code == 409
    sign_in(client, "town1")
    assert "已确认" in text(client.get("/payroll?month=2026-06"))


def test_the_import_page_reports_every_bad_row_then_loads_a_good_file(world, client):
    sign_in(client, "dist")
    page = text(client.get("/households/import"))
    bad = xlsx([["H8", "V11", "self", "孙八", "370305195001020000", "1950-01-02", "dibao",
                 "100", "2024-01-01", "6217002870012345"],
                ["H8", "V99", "spouse", "周八", HEAD_B, "1960-05-06", None, None, None, None]])
    response = client.post("/households/import", data={
        "csrf_token": csrf_token(page), "region": "D1",
        "file": (io.BytesIO(bad), "roll.xlsx")}, content_type="multipart/form-data")
    html = text(response)
    assert response.status_code == 422
    assert "名册有 3 处错误，未导入任何数据" in html
    assert "身份证号码校验位错误" in html and "同一户的村代码应一致" in html
    assert "该身份证号码已是本地区在册家庭" in html
    before = world.db.scalar(select(func.count()).select_from(Household))
    good = xlsx([["H8", "V12", "户主", "孙八", "370305195001020017", "1950-01-02", "低保",
                  "100", "2024-01-01", "6217002870012345"]])
    response = client.post("/households/import", data={
        "csrf_token": csrf_token(page), "region": "D1",
        "file": (io.BytesIO(good), "roll.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 200 and "已导入 1 户 1 人" in text(response)
    assert world.db.scalar(select(func.count()).select_from(Household)) == before + 1
    sign_in(client, "town1")
    assert client.get("/households/import").status_code == 403


def test_the_cli_imports_and_refuses(world, app, tmp_path, monkeypatch):
    from web import cli

    monkeypatch.setattr(cli, "_app", lambda: app)
    good = tmp_path / "roll.xlsx"
    good.write_bytes(xlsx([["H8", "V12", "户主", "孙八", "370305195001020017", "1950-01-02",
                            "低保", "100", "2024-01-01", "6217002870012345"]]))
    result = CliRunner().invoke(cli.main, ["households", "import", str(good), "--region", "D1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("已导入 1 户 1 人")
    again = CliRunner().invoke(cli.main, ["households", "import", str(good), "--region", "D1"])
    assert again.exit_code == 1
    assert "第 2 行 身份证号：该身份证号码已是本地区在册家庭" in again.output


def test_a_name_typed_as_a_formula_stays_text_in_the_workbook(world, client):
    # an application's head name can be any text (the roll reader sees a formula as blank)
    world.db.execute(update(Household).where(Household.head_id_number == HEAD_B)
                     .values(head_name='=HYPERLINK("http://x")'))
    world.db.commit()
    sign_in(client, "dist")
    download = client.get("/payroll/download?region=D1&month=2026-05")
    sheet = load_workbook(io.BytesIO(download.data)).worksheets[0]
    cell = next(c for c in sheet["D"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s" and cell.quotePrefix


def test_an_imported_household_has_its_case_and_household_pages(world, client):
    from engine.store.models import Case

    case = world.db.scalar(select(Case).join(Household, Household.id == Case.household_id)
                           .where(Household.head_id_number == HEAD_B))
    sign_in(client, "town1")
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200 and "王二" in text(page)
    household = client.get(f"/households/{case.household_id}")
    assert household.status_code == 200 and "300.00" in text(household)
    api = client.get(f"/api/households/{case.household_id}", headers=bearer(world, "town1"))
    assert api.get_json()["benefit"]["monthly_amount"] == 300.0


def test_a_household_from_the_roll_names_its_import_in_chinese(world, client):
    household = world.db.scalar(select(Household).order_by(Household.id).limit(1))
    sign_in(client, "town1")
    html = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "名册导入" in html and "roll_import" not in html
