"""The household page (动态管理): in force with its top-up, then ended by the exit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.casework import cases, tasks
from engine.workflow import procedures
from tests.engine.test_exits import AT, enrolled, jiangmen_exit_report
from tests.engine.test_regions import BPMN, DAY
from tests.factories import after_notice, make_world, open_task
from tests.web.conftest import sign_in, text


@pytest.fixture
def world(db, csrf_on):
    """Jiangmen alone on D1 (a region has one standard, Jiangmen's 800 a month)."""
    w = make_world(db, deploy=False)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "jiangmen"))
    return w


def test_the_household_page_shows_the_benefit_then_its_end_after_an_exit(world, client):
    db = world.db
    ident = enrolled(world, "jiangmen_identification")
    sign_in(client, "dist")
    url = f"/households/{ident.household_id}"
    assert url in text(client.get(f"/cases/{ident.id}"))
    html = text(client.get(url))
    assert "在保" in html and "1,833.33" in html and "待遇已停发" not in html
    assert ident.application["head_id_number"] not in html  # no ID numbers on the page

    at = AT + timedelta(days=40)
    out = cases.start(db, world.user("clerk1"), "jiangmen_exit", "V11",
                      jiangmen_exit_report(ident), now=at)
    tasks.complete(db, world.user("town1"), open_task(db, out.id).id,
                   {"verified_on": DAY, "decision": "approve"}, now=at)
    after_notice(db, at + timedelta(days=185))
    tasks.complete(db, world.user("dist"), open_task(db, out.id).id, {"decision": "approve"},
                   now=at + timedelta(days=190))
    html = text(client.get(url))
    assert "已退出（待遇已停发）" in html and "待遇已停发" in html
    assert f"退出案件 #{out.id}" in html and "1,833.33" not in html
    assert client.get("/households/999999").status_code == 404
