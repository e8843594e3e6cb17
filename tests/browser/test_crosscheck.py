"""Real browser: the cross-check import report of a bad list, then a hit on a case page
explained by the district official. Screenshots go to the pytest temp dir for review."""

from datetime import UTC, date, datetime

from engine.casework import cases
from tests.browser.test_pages import sign_in
from tests.engine.test_crosscheck import csv_of, family
from tests.factories import make_world
from tests.forms.samples import make_id_number

AT = datetime(2026, 3, 2, 2, tzinfo=UTC)


def test_import_report_then_a_hit_on_the_case_page(db, live_url, page, tmp_path):
    world = make_world(db)
    case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", family(31),
                       now=AT)
    db.commit()
    head = family(31)["head_id_number"]
    stranger = make_id_number(date(1950, 5, 5), 77)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of(f"{head},王建国,名下小型轿车一辆,2026-02-01",
                           f"{stranger[:17]}{'0' if stranger[17] != '0' else '1'},张三,名下货车,",
                           f"{stranger},,名下货车,"))
    good = tmp_path / "good.csv"
    good.write_bytes(csv_of(f"{head},王建国,名下小型轿车一辆,2026-02-01"))

    sign_in(page, live_url, "dist")
    page.goto(f"{live_url}/admin/crosscheck")
    page.select_option("#source", "vehicles")
    page.set_input_files("#file", str(bad))
    page.click("#import button[type=submit]")
    report = page.locator("#import-report")
    report.wait_for()
    assert "名单有 2 行有误，未导入任何数据" in report.inner_text()
    assert [r.inner_text().split("\t")[0] for r in report.locator("tbody tr").all()] == [
        "第 3 行", "第 4 行"]
    assert "姓名为空" in report.locator("tbody tr").nth(1).inner_text()
    page.screenshot(path=str(tmp_path / "crosscheck-report.png"), full_page=True)
    assert page.locator("#lists .list-entry").count() == 0

    page.select_option("#source", "vehicles")
    page.set_input_files("#file", str(good))
    page.click("#import button[type=submit]")
    page.wait_for_selector(".alert.success, .flash.success, [class*=success]")
    assert "已导入 1 行，比对命中 1 人次" in page.content()
    assert page.locator("#lists .list-entry").count() == 1

    page.goto(f"{live_url}/cases/{case.id}")
    hit = page.locator("#crosscheck article.hit")
    assert hit.count() == 1
    assert "车管（机动车）" in hit.inner_text() and "名下小型轿车一辆" in hit.inner_text()
    assert head[:6] + "********" + head[-4:] in hit.inner_text()  # masked in the hit
    hit.locator("textarea").fill("车辆已于2025年报废，见车管所证明")
    hit.locator("button[type=submit]").click()
    page.wait_for_selector("#crosscheck .reply")
    assert "车辆已于2025年报废" in page.locator("#crosscheck").inner_text()
    page.screenshot(path=str(tmp_path / "crosscheck-case.png"), full_page=True)
    print("screenshots:", tmp_path)
