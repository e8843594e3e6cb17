"""Cross-checks through the API, the CLI and the pages: hits in GET /api/cases/{id}, their
explanation, a district approve refused while one is unexplained, search by any member's
full ID number, the import report of a bad file, and a hit on the case page."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from engine.casework import cases
from engine.people import accounts
from engine.store.models import CrosscheckList
from tests.engine.test_crosscheck import csv_of, family, load
from tests.factories import after_notice, open_task, walk
from tests.forms.samples import make_id_number, valid_step_data
from tests.web.conftest import csrf_token, sign_in, text
from web import cli

AT = datetime(2026, 3, 2, 2, tzinfo=UTC)


def bearer(world, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_token(world.db, world.user(username))}"}


def at_crosscheck(world, n: int):
    """A case of household `n` waiting at the district cross-check step."""
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       family(n), now=AT)
    after_notice(world.db, walk(world, case.id, ["approve", "approve"], AT))
    assert open_task(world.db, case.id).step == "district_crosscheck"
    return case


def test_hits_in_the_case_explained_before_the_district_approves(world, client):
    case = at_crosscheck(world, 11)
    spouse = family(11)["members"][1]["id_number"]
    load(world, "human_resources", csv_of(f"{spouse},李秀英,领取企业职工养老金,2026-02-28"))
    dist = bearer(world, "dist")

    shown = client.get(f"/api/cases/{case.id}", headers=dist).json["crosscheck"]
    assert [{k: h[k] for k in ("source", "member", "finding", "as_of", "explained")}
            for h in shown] == [{"source": "human_resources", "member": "李秀英",
                                 "finding": "领取企业职工养老金", "as_of": "2026-02-28",
                                 "explained": False}]
    assert shown[0]["id_number_masked"] == spouse[:6] + "********" + spouse[-4:]
    task = open_task(world.db, case.id)
    prefill = client.get(f"/api/tasks/{task.id}", headers=dist).json["prefill"]
    assert prefill == {"human_resources": "inconsistent", "notes":
                       "人社（养老金、就业）：李秀英 领取企业职工养老金（名单日期 2026-02-28）"}
    refused = client.post(f"/api/tasks/{task.id}/complete", headers=dist,
                          json={"data": valid_step_data("district_crosscheck")})
    assert refused.status_code == 422
    assert list(refused.json["error"]["fields"]) == ["crosscheck"]

    url = f"/api/cases/{case.id}/crosscheck/{shown[0]['id']}/explanation"
    assert client.post(url, headers=bearer(world, "town1"), json={"text": "x"}).status_code == 403
    assert client.post(url, headers=dist, json={"text": ""}).status_code == 422
    assert client.post(f"/api/cases/{case.id}/crosscheck/999999/explanation", headers=dist,
                       json={"text": "x"}).status_code == 404
    answer = client.post(url, headers=dist, json={"text": "养老金已计入家庭收入核算"})
    assert answer.status_code == 200 and answer.json["explained"] is True
    done = client.post(f"/api/tasks/{task.id}/complete", headers=dist,
                       json={"data": valid_step_data("district_crosscheck")})
    assert done.status_code == 200, done.json


def test_search_finds_a_case_and_household_by_any_members_full_id_number(world, client):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       family(12), now=AT)
    cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11", family(13),
                now=AT)
    child = family(12)["members"][2]["id_number"]
    dist = bearer(world, "dist")
    found = client.get(f"/api/cases?q={child}", headers=dist).json
    assert [c["id"] for c in found] == [case.id]
    assert client.get(f"/api/cases?q={child[:17]}", headers=dist).json == []  # exact only
    assert [c["id"] for c in client.get("/api/cases?q=王小明", headers=dist).json] != []
    households = client.get(f"/api/households?q={child}", headers=dist).json
    assert [h["id"] for h in households] == [case.household_id]
    assert client.get(f"/api/cases?q={child}", headers=bearer(world, "town2")).json == []


def test_cli_imports_a_list_and_reports_bad_rows(world, app, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)
    cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11", family(14),
                now=AT)
    head = family(14)["head_id_number"]
    book = Workbook()
    book.active.append(["id_number", "name", "finding", "as_of"])
    book.active.append([head, "王建国", "名下小型轿车一辆", "2026-02-01"])
    good = tmp_path / "vehicles.xlsx"
    book.save(good)
    res = CliRunner().invoke(cli.main, ["crosscheck", "import", str(good), "--source",
                                        "vehicles", "--region", "D1"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[-1] == "比对完成：命中 1 人次"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of(f"{head[:17]}0,王建国,名下轿车,"))
    res = CliRunner().invoke(cli.main, ["crosscheck", "import", str(bad), "--source",
                                        "vehicles", "--region", "D1"])
    assert res.exit_code == 1
    assert "名单有 1 行有误，未导入任何数据" in res.output and "第 2 行" in res.output
    assert world.db.scalar(select(func.count()).select_from(CrosscheckList)) == 1


def test_admin_page_shows_the_import_report_and_imports(world, client):
    sign_in(client, "dist")
    page = client.get("/admin/crosscheck")
    assert page.status_code == 200
    bad = csv_of("110101199003077777,张三,,")
    answer = client.post("/admin/crosscheck", data={
        "csrf_token": csrf_token(text(page)), "source": "vehicles", "region": "D1",
        "file": (io.BytesIO(bad), "list.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 422
    body = text(answer)
    assert "名单有 1 行有误，未导入任何数据" in body and "第 2 行" in body
    assert "比对结果（finding）为空" in body
    assert world.db.scalar(select(func.count()).select_from(CrosscheckList)) == 0
    cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11", family(15),
                now=AT)
    good = csv_of(f"{family(15)['head_id_number']},王建国,个体工商户,2026-02-01")
    answer = client.post("/admin/crosscheck", data={
        "csrf_token": csrf_token(text(page)), "source": "market_regulation", "region": "D1",
        "file": (io.BytesIO(good), "list.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 302
    body = text(client.get("/admin/crosscheck"))
    assert "已导入 1 行，比对命中 1 人次" in body and "市场监管（经营主体）" in body


def selected(html: str, name: str) -> str | None:
    """The option selected in the page's <select name=...>."""
    block = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    found = re.search(r'<option value="([^"]*)" selected', block)
    return found.group(1) if found else None


def test_case_page_shows_a_hit_and_the_task_is_prefilled(world, client):
    case = at_crosscheck(world, 16)
    load(world, "human_resources", csv_of(
        f"{family(16)['head_id_number']},王建国,在企业就业,2026-02-28"))
    stranger = make_id_number(date(1950, 5, 5), 77)
    load(world, "disability_federation", csv_of(f"{stranger},张三,持残疾人证,"))
    sign_in(client, "dist")
    body = text(client.get(f"/cases/{case.id}"))
    assert "部门比对命中" in body and "在企业就业" in body and "人社（养老金、就业）" in body
    task = open_task(world.db, case.id)
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert selected(html, "human_resources") == "inconsistent"  # a hit
    assert selected(html, "disability_federation") == "consistent"  # a list, no hit
    assert selected(html, "civil_affairs") is None  # no list loaded
    assert "人社（养老金、就业）：王建国 在企业就业（名单日期 2026-02-28）" in html


@pytest.mark.parametrize("username", ["town1", "vil11"])
def test_only_district_and_admin_load_lists(world, client, username):
    sign_in(client, username)
    assert client.get("/admin/crosscheck").status_code == 403


def test_household_page_and_api_show_members_standard_hits_and_history(world, client):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       family(17), now=AT)
    load(world, "vehicles", csv_of(f"{family(17)['head_id_number']},王建国,名下轿车一辆,"))
    found = client.get(f"/api/households/{case.household_id}", headers=bearer(world, "dist"))
    assert found.status_code == 200
    head = family(17)["head_id_number"]
    assert [(m["name"], m["relation"], m["id_number_masked"]) for m in found.json["members"]] \
        == [("王建国", "self", head[:6] + "********" + head[-4:]),
            ("李秀英", "spouse", family(17)["members"][1]["id_number"][:6] + "********"
             + family(17)["members"][1]["id_number"][-4:]),
            ("王小明", "child", family(17)["members"][2]["id_number"][:6] + "********"
             + family(17)["members"][2]["id_number"][-4:])]
    assert [h["finding"] for h in found.json["crosscheck"]] == ["名下轿车一辆"]
    assert found.json["standard"] == {"region": "D1", "amount": 4300.0, "period": "year",
                                      "from": "2018-01-01"}
    sign_in(client, "dist")
    body = text(client.get(f"/households/{case.household_id}"))
    for expected in ("家庭成员", "李秀英", "配偶", "保障标准", "部门比对命中", "名下轿车一辆",
                     "历史记录", "受理申请"):
        assert expected in body, expected
    assert head not in body
    # each hit names its case: a household's two cases may each have the same hit
    hit = body.split('class="hit', 1)[1].split("</article>", 1)[0]
    assert f'href="/cases/{case.id}"' in hit and f"案件 #{case.id}" in hit


def test_api_loads_a_list_answers_the_review_list_and_opens_an_exit(world, client):
    enrolled = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                           family(18), now=AT)
    after_notice(world.db, walk(world, enrolled.id, ["approve"] * 5, AT))
    dist = bearer(world, "dist")
    head = family(18)["head_id_number"]
    bad = client.post("/api/crosscheck/lists", headers=dist, data={
        "source": "public_security", "region": "D1",
        "file": (io.BytesIO(csv_of(f"{head},,死亡注销,")), "deaths.csv")})
    assert bad.status_code == 422
    assert bad.json["error"]["fields"] == {"rows.2": ["姓名为空"]}
    loaded = client.post("/api/crosscheck/lists", headers=dist, data={
        "source": "public_security", "region": "D1",
        "file": (io.BytesIO(csv_of(f"{head},王建国,死亡注销,2026-02-20")), "deaths.csv")})
    assert loaded.status_code == 201
    assert {k: loaded.json[k] for k in ("source", "region", "rows", "hits", "imported_by")} == {
        "source": "public_security", "region": "D1", "rows": 1, "hits": 1, "imported_by": "dist"}
    assert [x["id"] for x in client.get("/api/crosscheck/lists", headers=dist).json] == [
        loaded.json["id"]]
    review = client.get("/api/crosscheck/review", headers=dist).json
    assert [(r["finding"], r["case_id"], r["running_case_id"]) for r in review] == [
        ("死亡注销", enrolled.id, None)]
    opened = client.post(f"/api/crosscheck/hits/{review[0]['id']}/followup", headers=dist,
                         json={"kind": "exit"})
    assert opened.status_code == 201 and opened.json["procedure"] == "linzi_exit"
    again = client.post(f"/api/crosscheck/hits/{review[0]['id']}/followup", headers=dist,
                        json={"kind": "exit"})
    assert again.status_code == 409
    assert client.get("/api/crosscheck/review", headers=bearer(world, "town1")).status_code == 403
