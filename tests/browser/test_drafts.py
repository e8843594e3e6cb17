"""Nothing typed is lost, in the browser: a warning before the session ends, a form sent after
it ended comes back with its values once signed in again; a duplicate application is named as
soon as the head's ID number is typed; a too-large file is refused before upload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from engine.casework import cases
from tests.browser.test_walk import fill, shot, sign_in
from tests.factories import after_notice, make_world, open_task, walk
from tests.forms.samples import valid_application, valid_step_data

LIFETIME = 8  # seconds: the warning shows with 4 left (half the timeout, at most 5 minutes)


@pytest.fixture
def as_served(app) -> Iterator[None]:
    """CSRF on, as served (the shared app has it off): an expired form fails its check."""
    before = app.config["WTF_CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = before


def test_a_form_sent_after_the_session_expired_comes_back_after_sign_in(app, db, live_url,
                                                                       page, as_served):
    world = make_world(db)
    case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application())
    task_id = open_task(db, case.id).id
    db.commit()
    before = app.permanent_session_lifetime
    app.permanent_session_lifetime = timedelta(seconds=LIFETIME)
    try:
        sign_in(page, live_url, "vil11")
        page.goto(f"{live_url}/tasks/{task_id}")
        form = page.locator("form.card")
        form.locator("[name=minutes]").fill("村民代表会议记录：同意上报。")
        form.locator("[name=attendees]").fill("9")
        warning = page.locator(".session-warning")
        warning.locator("[data-session-keep]").wait_for(state="visible", timeout=10_000)
        assert "分钟后失效" in warning.inner_text()
        shot(page, "session-warning.png")
        warning.locator("[data-session-keep]").click()
        warning.wait_for(state="hidden", timeout=5_000)  # kept alive: the banner goes

        warning.locator("[data-session-over]").wait_for(state="visible", timeout=15_000)
        page.wait_for_timeout(1_000)  # past the cookie's own expiry too
        form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r"/login\?next="))
        assert "登录已超时" in page.inner_text("body")
        assert "请求有误" not in page.inner_text("body")
    finally:
        app.permanent_session_lifetime = before
    page.fill("#username", "vil11")
    page.fill("#password", "secret-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/tasks/{task_id}")
    form = page.locator("form.card")
    assert form.locator("[name=minutes]").input_value() == "村民代表会议记录：同意上报。"
    assert form.locator("[name=attendees]").input_value() == "9"
    assert "已恢复您在本机上未提交的内容" in form.inner_text()
    restored = form.locator(".draft-restored").inner_text()
    # the time as the server writes times, not the browser's own 2026/12/1 13:05:09
    assert re.search(r"（\d{4}-\d{2}-\d{2} \d{2}:\d{2}）", restored), restored
    shot(page, "draft-restored.png")
    key = form.get_attribute("data-draft-key")
    assert page.evaluate("k => localStorage.getItem(k)", key) is not None
    fill(page, form, valid_step_data("village_evaluation", "approve"))
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/inbox")
    assert page.evaluate("k => localStorage.getItem(k)", key) is None, "dropped once submitted"


def test_the_intake_page_names_a_running_case_and_a_benefit_as_the_id_is_typed(db, live_url,
                                                                             page):
    world = make_world(db)
    running_app, approved_app = valid_application(), valid_application()
    running = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", running_app)
    approved = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                           approved_app)
    after_notice(db, walk(world, approved.id, ["approve"] * 5))
    db.commit()
    sign_in(page, live_url, "clerk1")
    page.goto(f"{live_url}/cases/new?village=V11&procedure=linzi_identification")
    form = page.locator("form.card")
    form.locator("[name=head_id_number]").fill(running_app["head_id_number"])
    refused = form.locator("[data-duplicate=error]")
    refused.wait_for()
    assert "正在办理" in refused.inner_text()
    assert refused.locator("a").get_attribute("href") == f"/cases/{running.id}"
    shot(page, "duplicate-running.png")

    form.locator("[name=head_id_number]").fill(approved_app["head_id_number"])
    warned = form.locator("[data-duplicate=warning]")
    warned.wait_for()
    assert "困难家庭" in warned.inner_text() and "420.00" in warned.inner_text()
    assert form.locator("[data-duplicate=error]").count() == 0
    form.locator("[name=head_name]").fill("王建国")
    assert form.locator("[name=head_name]").input_value() == "王建国", "the form goes on"


def test_a_too_large_file_is_refused_before_upload_and_the_form_kept(db, live_url, page):
    world = make_world(db)
    case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application())
    walk(world, case.id, ["reject"])
    task = open_task(db, case.id) or open_task(db, case.id)
    db.commit()
    assert task is not None and task.form_key == "refusal_notice", task
    sign_in(page, live_url, "town1")
    page.goto(f"{live_url}/tasks/{task.id}")
    form = page.locator("form.card")
    assert "单个文件不超过 15 MB" in form.inner_text()
    form.locator("[name=recipient]").fill("王建国")
    form.locator("[name=receipt]").set_input_files({
        "name": "scan.pdf", "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n" + b"0" * (15 * 1024 * 1024)})
    error = form.locator(".upload-too-big")
    error.wait_for()
    assert "scan.pdf" in error.inner_text() and "15 MB" in error.inner_text()
    assert form.locator("[name=receipt]").evaluate("e => e.files.length") == 0
    assert form.locator("[name=recipient]").input_value() == "王建国"
    assert page.url.endswith(f"/tasks/{task.id}")
