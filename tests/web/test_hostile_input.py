"""What the fuzzers sent: ids past 2³¹, NUL bytes, 1e308 and NaN, the last date there is, data a
script leaves that JSON cannot hold. Each answers 404/422/400 with a clear message, never a 500,
on pages and API alike, and changes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine.casework import cases
from engine.people import accounts
from engine.store.models import AuditEvent, Case, HumanTask
from engine.time import clock
from engine.workflow import spiff
from tests.factories import open_task, valid_application, valid_step_data
from tests.web.conftest import household, sign_in, text

HUGE = 2**31  # one past PostgreSQL's INTEGER
NUL = "a\x00b"


def bearer(db, username: str) -> dict[str, str]:
    token = accounts.issue_token(db, accounts.by_username(db, username))
    return {"Authorization": f"Bearer {token}"}


def api_error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    error = response.json["error"]
    assert set(error) == {"code", "message", "fields"}
    return error


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/cases/{id}"), ("POST", "/api/cases/{id}/extend"),
    ("POST", "/api/cases/{id}/migrate"), ("GET", "/api/tasks/{id}"),
    ("POST", "/api/tasks/{id}/claim"), ("POST", "/api/tasks/{id}/unclaim"),
    ("POST", "/api/tasks/{id}/complete"), ("GET", "/api/households/{id}"),
    ("GET", "/api/jobs/{id}"), ("POST", "/api/notices/{id}/objections"),
])
def test_ids_past_32_bits_are_not_found_in_the_api(world, client, method, path):
    for number in (HUGE, 10**30):
        res = client.open(path.format(id=number), method=method, json={},
                          headers=bearer(world.db, "dist"))
        assert api_error(res, 404)["code"] == "not_found"


def test_ids_past_32_bits_are_not_found_on_pages(world, client):
    assert client.get(f"/public/notices/{HUGE}/object").status_code == 404
    sign_in(client, "vil11")
    for path in (f"/cases/{HUGE}", f"/tasks/{HUGE}", f"/cases/{10**25}/print"):
        response = client.get(path)
        assert response.status_code == 404 and "页面不存在" in text(response), path


def test_the_largest_id_is_looked_up_and_simply_missing(world, client):
    res = client.get(f"/api/cases/{HUGE - 1}", headers=bearer(world.db, "dist"))
    assert api_error(res, 404)["message"]  # the engine answered, not the router


def test_nul_bytes_are_refused_everywhere_in_the_api(world, client):
    auth = bearer(world.db, "clerk1")
    refused = [
        client.post("/api/tokens", json={"username": NUL, "password": "x"}),
        client.get(f"/api/notices?org={NUL}"),
        client.post("/api/cases", headers=auth, json={
            "procedure": "linzi_identification", "village": "V11",
            "application": {**valid_application(), "address": NUL}}),
        client.post("/api/reviews/yearly", headers=bearer(world.db, "dist"),
                    json={"region": NUL}),
        client.get("/api/procedures/linzi%00identification", headers=auth),
        client.get(f"/api/procedures/linzi_identification?region={NUL}", headers=auth),
        client.post("/api/notices/1/objections", json={"reason": NUL}),
    ]
    for res in refused:
        error = api_error(res, 422)
        assert any("空字符" in m for ms in error["fields"].values() for m in ms), error
    nested = api_error(client.post("/api/cases", headers=auth, json={
        "procedure": "linzi_identification", "village": "V11",
        "application": {**valid_application(), "members": [{"name": NUL}]}}), 422)
    assert "application.members.0.name" in nested["fields"]
    assert world.db.scalar(select(func.count()).select_from(Case)) == 0


def test_nul_bytes_in_a_page_form_or_address_are_refused(world, client):
    page = client.post("/login", data={"username": NUL, "password": "x"})
    assert page.status_code == 422 and "空字符" in text(page)
    assert 'href="/login">返回表单' in page.get_data(as_text=True)  # the browser kept the rest


def test_a_nul_byte_in_a_task_form_leads_back_to_the_form(world, client):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application())
    task = open_task(world.db, case.id)
    sign_in(client, "vil11")
    form_page = f"/tasks/{task.id}"
    page = client.post(form_page, data={"comment": NUL},
                       headers={"Referer": f"http://localhost{form_page}?tab=form"})
    assert page.status_code == 422 and "空字符" in text(page)
    assert f'href="{form_page}?tab=form">返回表单' in page.get_data(as_text=True)
    assert world.db.get(HumanTask, task.id).completed_at is None
    assert client.get(f"/public/{NUL}").status_code == 422  # the status web/errors.py gives
    assert client.get("/public/D1%00").status_code == 422


def test_huge_and_non_finite_numbers_are_422_in_chinese(world, client):
    auth = bearer(world.db, "clerk1")
    application = valid_application()
    application["incomes"][0]["amount"] = 1e308
    res = client.post("/api/cases", headers=auth, json={
        "procedure": "linzi_identification", "village": "V11", "application": application})
    error = api_error(res, 422)
    assert error["fields"]["incomes.0.amount"] == ["金额超出范围"]
    for literal in ("NaN", "Infinity", "-Infinity", "1e999"):
        body = ('{"procedure":"linzi_identification","village":"V11","application":{"x":'
                + literal + "}}")
        res = client.post("/api/cases", headers=auth, data=body, content_type="application/json")
        assert api_error(res, 422)["fields"] == {"application.x": ["数值超出范围"]}, literal
    assert world.db.scalar(select(func.count()).select_from(Case)) == 0


def test_the_day_after_the_last_date_is_422(world, client):
    auth = bearer(world.db, "vil11")
    res = client.get("/api/calendar/add-working-days?start=9999-12-31&days=1", headers=auth)
    error = api_error(res, 422)
    assert "9999-12-31" in error["message"] and "start" in error["fields"]
    for days in ("99999", "-5", "3651"):  # outside 0-3650: refused, never clamped
        res = client.get(f"/api/calendar/add-working-days?start=2026-01-05&days={days}",
                         headers=auth)
        assert api_error(res, 422)["fields"] == {"days": ["天数应在 0 到 3650 之间"]}, days
    res = client.get("/api/calendar/add-working-days?start=2026-01-05&days=3650", headers=auth)
    assert "2027" in api_error(res, 422)["message"]  # 3650 days on: a year not covered


def test_argument_errors_keep_the_contract_shape(world, client):
    error = api_error(client.post("/api/tokens", json={"username": 12}), 422)
    assert error["code"] == "invalid"
    assert error["fields"] == {"username": ["应为文字"], "password": ["此项为必填项"]}
    error = api_error(client.get("/api/tasks?limit=many", headers=bearer(world.db, "vil11")), 422)
    assert error["fields"] == {"limit": ["应为整数"]}
    malformed = api_error(client.post("/api/tokens", data="{", content_type="application/json"),
                          400)
    assert "JSON" in malformed["message"]


def test_data_a_script_leaves_that_json_cannot_hold_is_a_model_error(world, client,
                                                                     monkeypatch):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       household(), now=clock.now())
    task = open_task(world.db, case.id)
    real_complete = spiff.complete

    def script_leaves_a_generator(wf, workflow_task_id, data, context=None):
        done = real_complete(wf, workflow_task_id, data, context)
        for t in wf.get_tasks():
            t.data["leftover"] = (n for n in range(3))  # what `x = (n for n in ...)` leaves
        return done

    monkeypatch.setattr(spiff, "complete", script_leaves_a_generator)
    res = client.post(f"/api/tasks/{task.id}/complete", headers=bearer(world.db, "vil11"),
                      json={"data": valid_step_data("village_evaluation")})
    error = api_error(res, 422)
    assert error["code"] == "model_error" and "无法保存" in error["message"]
    world.db.expire_all()
    assert open_task(world.db, case.id).id == task.id
    assert world.db.scalar(select(func.count()).select_from(HumanTask)) == 1
    assert world.db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "task.completed")) == 0


def test_page_lists_take_huge_offsets_and_the_last_date(world, client):
    sign_in(client, "vil11")
    for path in (f"/inbox?offset={10**30}", "/inbox?due_before=9999-12-31",
                 f"/cases?offset={10**30}"):
        assert client.get(path).status_code == 200, path
    sign_in(client, "admin")
    assert client.get(f"/admin/overdue?page={10**30}").status_code == 200


def test_json_nested_past_any_form_is_refused(world, client):
    too_deep = client.post("/api/tokens", data="[" * 100_000, content_type="application/json")
    assert api_error(too_deep, 400)["message"] == "嵌套层次过深"
    deep = '{"username":"u","password":"p","x":' + "[" * 500 + "]" * 500 + "}"
    error = api_error(client.post("/api/tokens", data=deep, content_type="application/json"), 422)
    assert list(error["fields"].values()) == [["嵌套层次过深"]]


def test_lone_surrogates_are_refused_where_nul_bytes_are(world, client):
    """JSON's "\\ud800" decodes to text with no UTF-8 form: 422 on the field, not a 500 from
    the database, and nothing stored."""
    auth = bearer(world.db, "clerk1")
    lone = "张\ud800"

    def post(path: str, body: dict, headers: dict | None = None):
        # json.dumps escapes the surrogate as a client would send it: "\ud800"
        return client.post(path, headers=headers, data=json.dumps(body),
                           content_type="application/json")

    refused = {
        "head_name": post("/api/cases", {
            "procedure": "linzi_identification", "village": "V11",
            "application": {**valid_application(), "head_name": lone}}, auth),
        "contact": post("/api/notices/1/objections", {"reason": "x", "contact": lone}),
    }
    for field, res in refused.items():
        error = api_error(res, 422)
        assert any(name.endswith(field) and messages == ["包含无效的字符编码"]
                   for name, messages in error["fields"].items()), error
    body = ('{"procedure":"linzi_identification","village":"V11",'
            '"application":{"\\udc80x":1}}')
    res = client.post("/api/cases", headers=auth, data=body, content_type="application/json")
    assert api_error(res, 422)["fields"] == {"application.?x": ["包含无效的字符编码"]}
    assert world.db.scalar(select(func.count()).select_from(Case)) == 0


def test_a_missing_org_or_a_loose_month_is_422_on_its_field(world, client):
    error = api_error(client.get("/api/notices"), 422)
    assert error["fields"] == {"org": ["需要提供机构代码 org"]}
    auth = bearer(world.db, "dist")
    for month in ("2026-1", "2026-13", "1999-12", "202601"):
        for path in (f"/api/stats?region=D1&month={month}",
                     f"/api/payroll?region=D1&month={month}"):
            error = api_error(client.get(path, headers=auth), 422)
            assert list(error["fields"]) == ["month"], (path, error)
    assert client.get("/api/stats?region=D1&month=2026-01", headers=auth).status_code == 200


def test_a_member_born_after_today_is_refused_on_that_row(world, client):
    application = valid_application()
    application["members"][1]["birth_date"] = "2099-01-01"
    res = client.post("/api/cases", headers=bearer(world.db, "clerk1"), json={
        "procedure": "linzi_identification", "village": "V11", "application": application})
    error = api_error(res, 422)
    [message] = error["fields"]["members.1.birth_date"]
    assert "2099-01-01" in message and "不能晚于今天" in message
    assert world.db.scalar(select(func.count()).select_from(Case)) == 0


def test_a_bank_account_that_is_no_account_is_refused_at_intake(world, client):
    """The account goes into the bank's payroll file: text or a phone number cannot."""
    auth = bearer(world.db, "clerk1")
    for account in ("请转给村会计 abc", "+8613800000000"):
        res = client.post("/api/cases", headers=auth, json={
            "procedure": "linzi_identification", "village": "V11",
            "application": {**valid_application(), "bank_account": account}})
        assert api_error(res, 422)["fields"] == {"bank_account": ["银行账号应为8至32位数字"]}
    assert world.db.scalar(select(func.count()).select_from(Case)) == 0
    res = client.post("/api/cases", headers=auth, json={
        "procedure": "linzi_identification", "village": "V11",
        "application": {**valid_application(), "bank_account": "6217 0028 7001 2345"}})
    assert res.status_code == 201
    assert world.db.get(Case, res.json["id"]).application["bank_account"] == "6217002870012345"
