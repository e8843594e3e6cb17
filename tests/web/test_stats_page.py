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
