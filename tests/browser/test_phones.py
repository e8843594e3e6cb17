"""Every official page at 375 px (a village official's phone): no sideways scroll.

Each page is opened in a 375x800 window with every <details> open; the document may not be
wider than the window. Screenshots go to the test's tmp dir, to be looked at.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.casework import cases, drafts, notices
from engine.store.models import Case, User
from engine.time import clock
from tests.factories import PASSWORD, after_notice, make_world, open_task, walk
from tests.forms.samples import HEAD_BIRTH, make_id_number, valid_application

PHONE = {"width": 375, "height": 800}


def household(serial: int) -> dict:
    """A valid application for a household of its own (one running case per household)."""
    head_id = make_id_number(HEAD_BIRTH, serial)
    data = valid_application(head_id_number=head_id)
    data["members"][0]["id_number"] = head_id
    return data


def start(world, serial: int, at=None):
    return cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       household(serial), now=at or clock.now())


@pytest.fixture
def busy_world(db):
    """A late village task, a case whose village notice met an objection, one in its notice,
    and a case at the district with two steps done: every page has rows, sections and cards."""
    world = make_world(db)
    late = start(world, 61, clock.now() - timedelta(days=30))
    far = start(world, 63)
    after_notice(db, walk(world, far.id, ["approve", "approve"], clock.now()))
    noticed = start(world, 62)
    walk(world, noticed.id, ["approve"], clock.now())
    notice = notices.public_list(db, "V11")[0]
    notices.object_to(db, notice.id, "收入未申报，家中有一辆货车", "13900001111", "", "10.0.0.9")
    posted = start(world, 64)  # in its notice, without objection: on the public list
    walk(world, posted.id, ["approve"], clock.now())
    db.commit()
    return {"late": late.id, "noticed": noticed.id, "far": far.id,
            "far_task": open_task(db, far.id).id, "late_task": open_task(db, late.id).id,
            "household": far.household_id}


def phone(browser, base: str, username: str | None):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    if username:
        page.goto(f"{base}/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url, f"{username} could not sign in"
    return page


def check(page, url: str, shots: Path, name: str) -> None:
    """Open the page, open every section, and measure it."""
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    if page.locator("#diagram").count():
        page.wait_for_selector("#diagram.ready svg", timeout=15_000)
    height = page.evaluate("document.documentElement.scrollHeight")
    for i, top in enumerate(range(0, height, PHONE["height"])):  # one screenful each, to read
        clip = {"x": 0, "y": top, "width": PHONE["width"],
                "height": min(PHONE["height"], height - top)}
        page.screenshot(path=str(shots / f"{name}-{i}.png"), full_page=True, clip=clip)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} ({url}) is {width} px wide at 375 px"
    # Table rows are cards: each cell says what it is, and no figure floats off to the right.
    cells = page.evaluate(UNLABELLED)
    assert cells == [], f"{name}: cells without a label on a phone: {cells}"
    aligned = page.evaluate(RIGHT_ALIGNED)
    assert aligned == [], f"{name}: cells still right-aligned on a phone: {aligned}"


UNLABELLED = """[...document.querySelectorAll('table.list td, table.cards td')]
  .filter(td => td.offsetParent && !td.dataset.label && !td.classList.contains('row-actions')
    && td.previousElementSibling?.tagName !== 'TH')
  .map(td => td.innerText.trim())"""
RIGHT_ALIGNED = """[...document.querySelectorAll('table.list td, table.cards td')]
  .filter(td => td.offsetParent && ['right', 'end'].includes(getComputedStyle(td).textAlign))
  .map(td => td.innerText.trim())"""


def test_every_official_page_fits_a_phone(busy_world, live_url, browser, tmp_path):
    ids = busy_world
    shots = tmp_path
    print(f"screenshots in {shots}")
    pages = {
        "dist": [("inbox-district", "/inbox"),
                 ("task-district", f"/tasks/{ids['far_task']}"),
                 ("case-far", f"/cases/{ids['far']}"),
                 ("case-noticed", f"/cases/{ids['noticed']}"),
                 ("household", f"/households/{ids['household']}"),
                 ("overdue", "/admin/overdue"),
                 ("cases", "/cases"),
                 ("payroll", "/payroll"), ("roll-import", "/households/import"),
                 ("crosscheck", "/admin/crosscheck")],
        "vil11": [("inbox-village", "/inbox"),
                  ("notifications", "/notifications"),
                  ("task-village", f"/tasks/{ids['late_task']}")],
        "clerk1": [("intake", "/cases/new?village=V11&procedure=linzi_identification")],
        "admin": [("calendar", "/admin/calendar"), ("jobs", "/admin/jobs"),
                  ("stats", "/admin/stats"), ("health", "/admin/health"),
                  ("procedures", "/procedures")],
        None: [("public-notices", "/public/V11"), ("public-township", "/public/T1"),
               ("public-stats", "/public/D1/stats")],
    }
    for username, urls in pages.items():
        page = phone(browser, live_url, username)
        for name, path in urls:
            check(page, live_url + path, shots, name)
        page.context.close()



def test_the_draft_banners_and_the_duplicate_check_fit_a_phone(busy_world, db, live_url,
                                                                 browser, tmp_path):
    """The forms as they come back: a server draft's note on the task and intake pages, the
    browser's own restored values with 放弃本机内容, and the intake's ID-number check naming a
    running case; every section open, nothing wider than the phone."""
    ids = busy_world
    world_user = {u.username: u for u in db.scalars(select(User))}
    typed = {"attendees": 9, "minutes": "村民代表会议记录：同意上报，" * 6}
    drafts.save_task(db, world_user["vil11"], ids["late_task"], typed)
    drafts.save_intake(db, world_user["clerk1"], "linzi_identification", "V11",
                       {"head_name": "王建国", "address": "凤凰镇后李村3组12号" * 3})
    db.commit()
    shots = tmp_path
    print(f"screenshots in {shots}")

    page = phone(browser, live_url, "vil11")
    task_url = f"{live_url}/tasks/{ids['late_task']}"
    check(page, task_url, shots, "task-server-draft")
    assert page.locator(".draft-note").is_visible()
    page.locator("form.card [name=votes_for]").fill("8")  # typed here: kept in the browser
    page.wait_for_timeout(1_500)
    check(page, task_url, shots, "task-restored-draft")
    assert page.locator(".draft-restored").is_visible()
    page.context.close()

    page = phone(browser, live_url, "clerk1")
    check(page, f"{live_url}/cases/new?village=V11&procedure=linzi_identification", shots,
          "intake-server-draft")
    assert page.locator(".draft-note").is_visible()
    running = db.get(Case, ids["late"]).application["head_id_number"]
    page.locator("form.card [name=head_id_number]").fill(running)
    page.locator("[data-duplicate=error]").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(shots / "intake-duplicate.png"))
    assert width <= PHONE["width"], f"the intake with its duplicate message is {width} px wide"
    page.context.close()
