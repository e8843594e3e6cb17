"""The statistics page shows the region's top-up level beside the bundle's targets."""

from __future__ import annotations

import re

import pytest

from engine.workflow import procedures
from tests.engine.test_regions import BPMN
from tests.engine.test_stats import enrol
from tests.factories import make_world
from tests.web.conftest import sign_in, text


def row(html: str, area: str) -> list[str]:
    found = re.search(rf'<tr class="area-{area}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {area}"
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)]



@pytest.fixture
def world(db, csrf_on):
    """Jiangmen alone on D1 (a region has one standard, Jiangmen's 800 a month)."""
    w = make_world(db, deploy=False)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "jiangmen"))
    return w


def test_district_official_sees_the_level_beside_the_target(world, client):
    enrol(world, 1, 27000.0, "village")  # (800 − 750) × 3 = 150.00 for 3 persons
    sign_in(client, "dist")
    html = text(client.get("/admin/stats?month=2026-11"))
    assert "补差水平" in html and "/admin/stats" in html  # in the navigation too
    # 150.00 / 3 = 50.00 per person; 50 / 800 = 6.25 % → 6.3 %; target 50 %
    assert row(html, "village") == ["农村", "1", "3", "150.00", "50.00", "800.00", "6.3%", "50%",
                                    "未达到"]
    assert row(html, "town")[:3] == ["城镇", "0", "0"]
    assert row(html, "all")[0] == "全区（合计）"


def test_the_page_is_not_for_village_officials_and_refuses_a_bad_month(world, client):
    sign_in(client, "vil11")
    assert client.get("/admin/stats").status_code == 403
    sign_in(client, "dist")
    assert client.get("/admin/stats?month=2026-13").status_code == 422


def test_the_month_page_charts_and_xlsx(world, client):
    from datetime import UTC, datetime
    from io import BytesIO

    from openpyxl import load_workbook

    from engine.time import clock

    enrol(world, 1, 27000.0, "village")  # approved 2026-03-10: 150.00 for 3 persons
    enrol(world, 2, 21600.0, "town")  # 600.00 for 3 persons
    sign_in(client, "dist")
    with clock.frozen(datetime(2026, 11, 30, 2, tzinfo=UTC)):
        html = text(client.get("/admin/stats?month=2026-03"))
        book = client.get("/admin/stats.xlsx?region=D1&month=2026-03")
    assert re.search(r'id="fig-new">本月新增<b>2</b>', html)
    assert row(html, "all")[:4] == ["全区（合计）", "2", "6", "750.00"]
    category = re.search(r'<tr class="category-serious_illness">(.*?)</tr>', html, re.S).group(1)
    assert [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", category)] == [
        "重病", "2", "6", "750.00"]
    assert html.count('<rect class="bar"') == 1 + 2 + 2  # 1 category, 2 steps twice
    assert book.status_code == 200 and "attachment" in book.headers["Content-Disposition"]
    sheets = load_workbook(BytesIO(book.data))
    figures = {r[0]: r[1] for r in sheets["月报"].iter_rows(values_only=True)}
    assert (figures["在保户数"], figures["本月新增户数"], figures["月补差合计（元）"],
            figures["补差水平"]) == (2, 2, 750.0, 0.156)  # 125 / 800 = 0.15625 → 0.156
    assert list(sheets["分类"].iter_rows(values_only=True)) == [
        ("类别", "户数", "人数", "月补差合计（元）"), ("重病", 2, 6, 750.0)]


def test_the_public_district_page_has_figures_and_no_personal_data(world, client):
    case = enrol(world, 1, 27000.0, "village")
    client.get("/logout")
    html = text(client.get("/public/V11"))
    assert "/public/D1/stats" in html
    page = client.get("/public/D1/stats?month=2026-03")
    assert page.status_code == 200
    html = text(page)
    assert "1 户" in html and "3 人" in html and "150.00 元" in html
    for secret in (case.application["head_name"], case.application["head_id_number"],
                   case.application["members"][1]["name"]):
        assert secret not in html
    assert client.get("/public/V11/stats").status_code == 404
    assert client.get("/public/D1/stats?month=2026-13").status_code == 422
