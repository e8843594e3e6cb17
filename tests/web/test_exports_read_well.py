"""Exports read well: the 户表 and the ledger in Chinese labels and real numbers, with the
award, and file names dated in Beijing time like the sheets they hold."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from engine.casework import cases
from engine.time import clock
from engine.workflow import procedures
from tests.engine.test_exits import enrolled
from tests.engine.test_regions import BPMN
from tests.factories import after_notice, make_world, walk
from tests.web.conftest import household, sign_in

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
# 17:30 UTC on 12-20 is 01:30 on 12-21 in Beijing: a UTC-dated name would say 20261220.
EVENING = datetime(2026, 12, 20, 17, 30, tzinfo=UTC)


@pytest.fixture
def approved(world):
    """张三's Linzi identification, approved at 420.00 a month as 困难家庭 by 赵科长."""
    world.user("dist").display_name = "赵科长"
    world.db.commit()
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       household(head_name="张三"), now=AT)
    after_notice(world.db, walk(world, case.id, ["approve"] * 5, at=AT))
    return case


def download(client, url: str, at: datetime):
    sign_in(client, "dist")
    with clock.frozen(at):
        response = client.get(url)
    assert response.status_code == 200
    return response


def file_name(response) -> str:
    disposition = response.headers["Content-Disposition"]
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


def rows_of(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [tuple(c for c in row if c is not None)
            for row in sheet.iter_rows(values_only=True)]


def after(rows: list[tuple], title: str) -> list[tuple]:
    """The rows of a section, from its title's row to the next blank one."""
    start = rows.index((title,)) + 1
    end = rows.index((), start) if () in rows[start:] else len(rows)
    return rows[start:end]


def test_the_household_sheet_has_numbers_labels_and_the_award(world, client, approved):
    rows = rows_of(download(client, f"/cases/{approved.id}/household.xlsx", EVENING))
    award = next(r for r in rows if r and r[0] == "核定月补差金额（元）")
    assert award[1] == 420 and isinstance(award[1], int | float)
    assert award[2:4] == ("认定类别", "困难家庭")
    # per person and year, as the Linzi standard is set (4300 yuan a year): the unit is named
    assert award[4:] == ("保障标准（元/人/年）", 4300)
    incomes = after(rows, "家庭年收入")
    assert incomes[0] == ("收入类别", "年收入金额（元）", "备注")
    assert incomes[1] == ("家庭经营净收入", 6800, "种植小麦、玉米")
    assert isinstance(incomes[1][1], int | float) and isinstance(incomes[2][1], float)
    assert incomes[2][1] == 1680.5
    assets = after(rows, "家庭财产")
    assert isinstance(assets[1][-1], int | float) and assets[1][-1] == 50000
    steps = after(rows, "办理过程")
    assert steps[0] == ("步骤", "办结时间", "结论", "办理人")
    assert steps[-1][0] == "区主管部门核查审批" and steps[-1][2:] == ("批准", "赵科长")
    assert not any("approve" in str(c) for r in rows for c in r)


def test_the_household_sheet_is_named_by_the_local_date(world, client, approved):
    response = download(client, f"/cases/{approved.id}/household.xlsx", EVENING)
    assert file_name(response) == f"户表-张三-{approved.id}-20261221.xlsx"
    assert file_name(download(client, f"/cases/{approved.id}/household.xlsx",
                              EVENING - timedelta(hours=10))) == \
        f"户表-张三-{approved.id}-20261220.xlsx"


def test_the_ledger_lists_amount_and_category_as_number_and_label(world, client, approved):
    response = download(client, "/cases/ledger.xlsx?status=approved", EVENING)
    assert file_name(response) == "台账-测试区-20261221.xlsx"
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[3]]
    row = {name: cell for name, cell in zip(header, sheet[4], strict=True)}
    assert row["认定类别"].value == "困难家庭" and row["状态"].value == "已批准"
    assert row["月补差金额（元）"].data_type == "n" and row["月补差金额（元）"].value == 420
    assert row["家庭人口"].data_type == "n"
    exported_at = sheet["A2"].value
    assert "2026-12-21 01:30" in exported_at  # the byline in Beijing time, as the name


def test_a_ledger_takes_the_amount_and_category_from_the_benefit(db, csrf_on, client):
    """Jiangmen's approval form names its amount `adjusted_amount` and its tables decide the
    category: the ledger shows both from the household's benefit."""
    world = make_world(db, deploy=False)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "jiangmen"))
    enrolled(world, "jiangmen_identification")
    sheet = load_workbook(io.BytesIO(download(client, "/cases/ledger.xlsx", EVENING).data)).active
    row = dict(zip([c.value for c in sheet[3]], [c.value for c in sheet[4]], strict=True))
    assert row["月补差金额（元）"] == 1833.33
    assert row["认定类别"] == "一般"
