"""A case from intake to approval through the UI only, signing in as each official in turn.

The one thing done outside the browser is letting time pass: the 7-day notices (公示) run out
when the timer worker runs 8 days later (`after_notice`), since nobody can click a calendar
forward. Screenshots go to tests/browser/screenshots/ (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.time import clock
from tests.factories import PASSWORD, WORKER, after_notice, make_world, open_task
from tests.forms.samples import valid_application, valid_step_data

SHOTS = Path(__file__).resolve().parent / "screenshots"
# The Linzi identification steps of an approved case, in order (notices between them).
STEPS = ["village_evaluation", "township_review", "district_crosscheck",
         "third_party_verification", "district_approval"]


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{username} could not sign in"


def sign_out(page) -> None:
    page.click("form[action$='/logout'] button")
    page.wait_for_url("**/login**")


def fill(page, form, data: dict[str, Any], prefix: str = "") -> None:
    """Type a submission into the form as a person would: rows added with the add-row button,
    choices picked, yes/no radios checked. File fields (optional in these forms) are left."""
    for key, value in data.items():
        name = prefix + key
        if isinstance(value, list) and value and isinstance(value[0], dict):
            section = form.locator(f"[data-rows='{name}']")
            while section.locator(".row-list > [data-row]").count() < len(value):
                section.locator("[data-add-row]").click()
            for i, row in enumerate(value):
                fill(page, form, row, f"{name}-{i}-")
            continue
        field = form.locator(f"[name='{name}']")
        kind = field.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind == "select:select-one":
            field.select_option(str(value))
        elif kind == "input:radio":
            form.locator(f"[name='{name}'][value='{'true' if value else 'false'}']").check()
        elif kind == "input:file":
            continue
        else:
            field.fill(str(value))


def field_error(form, name: str) -> str:
    """The inline error under one field (the <p class=field-error> in its .field block)."""
    block = form.locator(f".field.has-error:has([name='{name}'])")
    return block.locator(".field-error").inner_text()


def open_task_page(page, base: str, case_id: int) -> None:
    """From the inbox, follow the link of this case's task."""
    page.goto(f"{base}/inbox")
    row = page.locator("table.list tbody tr", has_text=f"#{case_id}")
    assert row.count() == 1, f"case #{case_id} is not in the inbox"
    row.locator("a.button", has_text="办理").click()
    page.wait_for_url("**/tasks/*")


def let_notices_pass(db, case_id: int) -> None:
    """If the case waits on a notice rather than a task, let the 8 days go by."""
    db.rollback()  # see what the server committed
    if open_task(db, case_id) is None:
        after_notice(db, clock.now())
        db.rollback()


def test_intake_to_approval_through_the_ui(db, live_url, page):
    make_world(db)
    db.commit()
    base = live_url

    # Intake: the township clerk picks the village and procedure, types the application.
    sign_in(page, base, "clerk1")
    page.click("nav.mainnav a[href$='/cases/new']")
    filters = page.locator("form.filters")
    filters.locator("select[name=village]").select_option("V11")
    procedure = filters.locator("select[name=procedure]")
    procedure.select_option("linzi_identification")
    assert "临淄区困难家庭识别认定" in procedure.inner_text()
    filters.locator("button[type=submit]").click()
    form = page.locator("form.card")
    form.wait_for()
    application = valid_application()
    fill(page, form, application)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    assert "已受理" in page.inner_text("body")
    assert f"{len(application['members'])}人" in page.inner_text("dl.summary")
    sign_out(page)

    for step in STEPS:
        let_notices_pass(db, case_id)
        sign_in(page, base, WORKER[step])
        if step == "village_evaluation":
            page.goto(f"{base}/inbox")
            shot(page, "inbox.png")
        open_task_page(page, base, case_id)
        form = page.locator("form.card")
        data = valid_step_data(step, "approve")
        if step == "village_evaluation":
            # A bad value first: the page comes back with the error beside the field
            # and everything else as typed.
            fill(page, form, {**data, "votes_for": ""})
            form.locator("button[type=submit]").click()
            page.wait_for_load_state()
            form = page.locator("form.card")
            assert "提交内容有误" in form.inner_text()
            assert re.search(r"[\u4e00-\u9fff]", field_error(form, "votes_for"))
            assert form.locator("[name=meeting_date]").input_value() == data["meeting_date"]
            assert form.locator("[name=attendees]").input_value() == str(data["attendees"])
            assert form.locator("[name=minutes]").input_value() == data["minutes"]
            assert form.locator("[name=decision]").input_value() == "approve"
            shot(page, "task-form-error.png")
        fill(page, form, data)
        form.locator("button[type=submit]").click()
        page.wait_for_url("**/inbox")
        assert "已提交" in page.inner_text("body")
        sign_out(page)

    # The district notice runs out: the case is approved, its diagram marked.
    let_notices_pass(db, case_id)
    sign_in(page, base, "dist")
    page.goto(f"{base}/cases/{case_id}")
    status = page.locator("dl.summary .status")
    assert "status-approved" in (status.get_attribute("class") or "")
    assert status.inner_text() == "已批准"
    page.wait_for_selector("#diagram.ready svg", timeout=15_000)
    done = page.locator(".djs-element.step-done")
    for step in STEPS:
        assert done.locator(f"xpath=self::*[@data-element-id='{step}']").count() == 1, step
    assert page.locator(".djs-element.step-current").count() == 0
    shot(page, "case-diagram.png")
    sign_out(page)

    # A village official of another village can neither open it nor find it.
    sign_in(page, base, "vil12")
    response = page.goto(f"{base}/cases/{case_id}")
    assert response is not None and response.status in (403, 404)
    assert re.search("页面不存在|无权访问", page.inner_text("body"))
    page.goto(f"{base}/cases")
    assert page.locator(f"a[href$='/cases/{case_id}']").count() == 0
    assert application["head_name"] not in page.inner_text("main")
