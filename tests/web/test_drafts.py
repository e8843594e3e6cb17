"""Nothing typed is lost: drafts of task and intake forms (the owner's alone, gone on
completion), the duplicate check on intake, the 409 and 413 pages, and a form sent after the
session expired."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from engine.casework import cases, tasks
from engine.people import accounts
from engine.store.models import Draft
from tests.factories import after_notice, open_task, walk
from tests.forms.samples import valid_step_data
from tests.web.conftest import as_post, csrf_token, household, post_form, sign_in, text

INTAKE = "/cases/new?village=V11&procedure=linzi_identification"
PLACE = {"procedure": "linzi_identification", "village": "V11"}


def bearer(world, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_token(world.db, world.user(username))}"}


def first_task(world):
    """A case of its own household waiting at village evaluation (worked by V11's officials)."""
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11", household())
    return case, open_task(world.db, case.id)


def drafts_count(world) -> int:
    return world.db.scalar(select(func.count()).select_from(Draft))


def test_the_owner_saves_and_reads_a_task_draft_and_no_one_else_does(world, client):
    _case, task = first_task(world)
    url = f"/api/tasks/{task.id}/draft"
    assert client.get(url, headers=bearer(world, "vil11")).status_code == 404, "none yet"
    saved = client.put(url, headers=bearer(world, "vil11"),
                       json={"data": {"votes_for": "7", "remark": "入户未完"},
                             "comment": "明天再访"})
    assert saved.status_code == 200, saved.json
    back = client.get(url, headers=bearer(world, "vil11")).json
    assert back["data"] == {"votes_for": "7", "remark": "入户未完"}
    assert back["comment"] == "明天再访" and back["form"] == f"task:{task.id}"

    accounts.add_user(world.db, "vil11b", "village", "V11", "secret-pass-1", must_change=False)
    assert client.get(url, headers=bearer(world, "vil11b")).status_code == 404, \
        "a colleague who may work the task does not read another's draft"
    assert client.get(url, headers=bearer(world, "vil21")).status_code == 404, "unseen task"
    assert client.get(url, headers=bearer(world, "town1")).status_code == 403, "seen, not theirs"
    assert client.put(url, headers=bearer(world, "town1"),
                      json={"data": {}}).status_code == 403
    assert client.put(url, headers=bearer(world, "vil11"),
                      json={"data": "text"}).status_code == 422
    assert client.delete(url, headers=bearer(world, "vil11")).status_code == 204
    assert client.get(url, headers=bearer(world, "vil11")).status_code == 404


def test_a_task_draft_is_deleted_when_the_task_is_completed(world, client):
    case, task = first_task(world)
    url = f"/api/tasks/{task.id}/draft"
    client.put(url, headers=bearer(world, "vil11"), json={"data": {"votes_for": "7"}})
    assert drafts_count(world) == 1
    tasks.complete(world.db, world.user("vil11"), task.id,
                   valid_step_data(task.form_key, "approve"))
    assert drafts_count(world) == 0
    assert client.get(url, headers=bearer(world, "vil11")).status_code == 404
    assert client.put(url, headers=bearer(world, "vil11"),
                      json={"data": {}}).status_code == 404, "an ended task takes no draft"


def test_the_task_page_saves_a_draft_and_brings_it_back(world, client):
    _case, task = first_task(world)
    sign_in(client, "vil11")
    page = f"/tasks/{task.id}"
    html = text(client.get(page))
    assert "保存草稿" in html
    assert f' data-draft-key="yimen-draft:u{world.user("vil11").id}:task:{task.id}"' in html
    saved = post_form(client, page, [("action", "draft"), ("votes_for", "6"),
                                     ("comment", "等村民代表会议")])
    assert saved.status_code == 302
    html = text(client.get(page))
    assert "已载入您于" in html and 'value="6"' in html and "等村民代表会议" in html
    sign_in(client, "vil12")
    assert client.get(page).status_code == 404
    sign_in(client, "vil11")
    done = post_form(client, page, as_post(valid_step_data(task.form_key, "approve")))
    assert done.status_code == 302 and drafts_count(world) == 0
    inbox = text(client.get("/inbox"))
    assert f'data-draft-done="yimen-draft:u{world.user("vil11").id}:task:{task.id}"' in inbox


def test_an_intake_draft_is_kept_per_official_and_dropped_when_the_case_opens(world, client):
    application = household()
    sign_in(client, "clerk1")
    form = [("village", "V11"), ("procedure", "linzi_identification")]
    saved = post_form(client, "/cases/new", form + [("action", "draft"),
                                                    ("head_name", "赵草稿")], INTAKE)
    assert saved.status_code == 302 and saved.headers["Location"].startswith("/cases/new?")
    assert 'value="赵草稿"' in text(client.get(INTAKE))
    api = client.get("/api/intake/draft", query_string=PLACE, headers=bearer(world, "clerk1"))
    assert api.status_code == 200 and api.json["data"] == {"head_name": "赵草稿"}
    assert client.get("/api/intake/draft", query_string=PLACE,
                      headers=bearer(world, "vil11")).status_code == 404, "not theirs"
    assert client.get("/api/intake/draft", query_string={**PLACE, "village": "V21"},
                      headers=bearer(world, "clerk1")).status_code == 403
    opened = post_form(client, "/cases/new", form + as_post(application), INTAKE)
    assert opened.status_code == 302 and drafts_count(world) == 0


def approved(world):
    """A household of V11 whose identification was approved (420 yuan a month)."""
    application = household()
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       application)
    after_notice(world.db, walk(world, case.id, ["approve"] * 5))
    return case, application["head_id_number"]


def test_the_duplicate_check_names_a_running_case_the_official_may_see(world, client):
    application = household()
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       application)
    query = {**PLACE, "id_number": application["head_id_number"]}
    found = client.post("/api/intake/duplicates", json=query,
                        headers=bearer(world, "vil11")).json
    assert found == {"running": True, "running_case_id": case.id, "benefit": None}
    fresh = client.post("/api/intake/duplicates", headers=bearer(world, "vil11"),
                        json={**query, "id_number": household()["head_id_number"]}).json
    assert fresh == {"running": False, "running_case_id": None, "benefit": None}
    bad = client.post("/api/intake/duplicates", json={**query, "id_number": "123"},
                      headers=bearer(world, "vil11"))
    assert bad.status_code == 422
    elsewhere = client.post("/api/intake/duplicates", headers=bearer(world, "vil21"),
                            json={**query, "village": "V21"}).json
    assert elsewhere["running"] is True and elsewhere["running_case_id"] is None, \
        "another village's official learns only that a case runs"
    sign_in(client, "vil11")
    page = post_form(client, "/cases/new/duplicates", query, INTAKE).get_json()
    assert page["messages"][0]["link"] == f"/cases/{case.id}"


def test_an_approved_household_applying_again_is_warned_of_its_benefit(world, client):
    case, head = approved(world)
    found = client.post("/api/intake/duplicates", json={**PLACE, "id_number": head},
                        headers=bearer(world, "clerk1")).json
    assert found["running"] is False
    assert found["benefit"]["monthly_amount"] == 420 and found["benefit"]["case_id"] == case.id
    sign_in(client, "clerk1")
    page = post_form(client, "/cases/new/duplicates", {**PLACE, "id_number": head}, INTAKE)
    (message,) = page.get_json()["messages"]
    assert message["level"] == "warning" and "每月 420.00 元" in message["text"]
    assert "困难家庭" in message["text"], "the category as the approval form names it"


def test_an_exit_names_the_benefit_it_ends_and_refuses_a_household_off_the_roll(world, client):
    """销号 is for a household on the roll: its benefit is named without "apply again", and an
    ID number with no benefit is refused as soon as it is typed."""
    case, head = approved(world)
    sign_in(client, "clerk1")
    place = {"procedure": "linzi_exit", "village": "V11"}
    intake = "/cases/new?village=V11&procedure=linzi_exit"
    (named,) = post_form(client, "/cases/new/duplicates", {**place, "id_number": head},
                         intake).get_json()["messages"]
    assert named["level"] == "info" and "每月 420.00 元" in named["text"]
    assert "重新申请" not in named["text"] and named["link"] == f"/cases/{case.id}"
    stranger = household()["head_id_number"]
    (refused,) = post_form(client, "/cases/new/duplicates", {**place, "id_number": stranger},
                           intake).get_json()["messages"]
    assert refused["level"] == "error" and "不在保障名册中" in refused["text"]


def test_the_409_page_links_the_running_case_and_keeps_the_form(world, client):
    application = household()
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       application)
    sign_in(client, "vil11")
    form = [("village", "V11"), ("procedure", "linzi_identification")]
    typed = {**application, "head_phone": "13900001111"}
    again = post_form(client, "/cases/new", form + as_post(typed), INTAKE)
    html = text(again)
    assert again.status_code == 409
    refused = html[html.index("duplicate-refused"):]
    assert f'href="/cases/{case.id}"' in refused[:800] and 'value="13900001111"' in html


def test_the_413_page_states_the_limit_and_leads_back_to_the_form(app, world, client):
    sign_in(client, "clerk1")
    token = csrf_token(text(client.get(INTAKE)))
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    try:
        refused = client.post("/cases/new", headers={"Referer": f"http://localhost{INTAKE}"},
                              data={"csrf_token": token, "village": "V11",
                                    "attachment": (io.BytesIO(b"x" * 1100 * 1024), "big.pdf")})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    html = text(refused)
    assert refused.status_code == 413 and "不能超过 1 MB" in html
    assert f'href="{INTAKE.replace("&", "&amp;")}"' in html and "返回表单" in html
    page = text(client.get(INTAKE))
    assert 'data-max-file="15728640"' in page and f'data-max-request="{limit}"' in page
    assert "单个文件不超过" not in page, "the application has no file field"


def test_a_form_sent_after_the_session_expired_leads_to_sign_in_and_back(world, client):
    _case, task = first_task(world)
    sign_in(client, "vil11")
    token = csrf_token(text(client.get(f"/tasks/{task.id}")))
    client.delete_cookie("session")  # the idle timeout ended the session
    sent = client.post(f"/tasks/{task.id}", data={"csrf_token": token, "votes_for": "5"},
                       headers={"Referer": f"http://localhost/tasks/{task.id}"})
    assert sent.status_code == 302
    assert sent.headers["Location"] == f"/login?next=/tasks/{task.id}"
    login = text(client.get(sent.headers["Location"]))
    assert "登录已超时" in login
    back = client.post(sent.headers["Location"], data={
        "username": "vil11", "password": "secret-pass-1", "csrf_token": csrf_token(login)})
    assert back.headers["Location"] == f"/tasks/{task.id}"
    assert drafts_count(world) == 0, "the server kept nothing from the refused post"


def test_every_signed_in_page_carries_the_idle_timeout(world, client):
    sign_in(client, "vil11")
    html = text(client.get("/inbox"))
    assert 'data-idle-seconds="1800"' in html and "继续工作" in html
    assert client.get("/session/keepalive").status_code == 204
