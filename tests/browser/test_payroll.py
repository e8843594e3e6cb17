"""Real browser: the roll import page's report (refused, then accepted) and the payroll
download, then the district's confirmation."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from tests.browser.test_pages import sign_in
from tests.engine.test_payroll import ROWS
from tests.engine.test_roll_import import xlsx
from tests.factories import make_world

SHOTS = Path(__file__).resolve().parent / "screenshots"


def test_import_report_then_payroll_download_and_confirm(db, live_url, page, tmp_path):
    make_world(db)
    db.commit()
    SHOTS.mkdir(exist_ok=True)
    sign_in(page, live_url, "dist")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([[*ROWS[0][:4], ROWS[0][4][:-1] + "0", *ROWS[0][5:]], ROWS[1]]))
    page.goto(f"{live_url}/households/import")
    page.fill("#region", "D1")
    page.set_input_files("#file", str(bad))
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#import-problems")
    report = page.inner_text("#import-problems")
    assert "名册有 1 处错误，未导入任何数据" in report and "身份证号码校验位错误" in report
    page.screenshot(path=str(SHOTS / "roll-import-refused.png"), full_page=True)

    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx(ROWS))
    page.set_input_files("#file", str(good))
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#import-report")
    assert "已导入 4 户 4 人" in page.inner_text("#import-report")
    page.screenshot(path=str(SHOTS / "roll-import-report.png"), full_page=True)

    page.click("nav >> text=发放花名册")
    page.fill("form[aria-label='选择地区和月份'] input[name=region]", "D1")
    page.fill("form[aria-label='选择地区和月份'] input[name=month]", "2026-06")
    page.click("form[aria-label='选择地区和月份'] button[type=submit]")
    page.wait_for_selector("#payroll-lines")
    assert page.inner_text("#payroll-state") == "未确认"
    with page.expect_download() as caught:
        page.click("#payroll-download")
    download = caught.value
    assert download.suggested_filename == "测试区2026-06发放花名册（未确认）.xlsx"
    rows = list(load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
                .worksheets[0].iter_rows(values_only=True))
    assert [(r[3], r[6], r[7]) for r in rows[1:]] == [
        ("张一", 620.5, None), ("王二", 300, None), ("赵三", 455, "新增"), ("钱四", 500, None)]
    page.screenshot(path=str(SHOTS / "payroll.png"), full_page=True)
    page.click("#payroll-confirm")
    page.wait_for_selector("#payroll-state >> text=已确认")
    assert "已确认 2026-06 发放花名册：4 户，合计 1875.50 元" in page.content()
