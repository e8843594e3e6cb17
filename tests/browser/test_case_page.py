"""Real browser: the case page's header and history (screenshots to look at), and the * of a
field required only when 批准 is chosen, shown and hidden as the choice changes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from engine.casework import cases
from tests.browser.test_pages import sign_in
from tests.factories import after_notice, make_world, open_task, walk
from tests.web.conftest import household

SHOTS = Path(__file__).resolve().parent / "screenshots"
AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def linzi_case(db, name: str):
    world = make_world(db)
    for username, display in (("vil11", "李村官"), ("town1", "王镇长"), ("dist", "赵科长"),
                              ("clerk1", "钱窗口"), ("assess", "孙评估")):
        world.user(username).display_name = display
    case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                       household(head_name=name), now=AT)
    return world, case


def test_an_approved_case_page_reads_well(db, live_url, page):
    world, case = linzi_case(db, "张三")
    after_notice(db, walk(world, case.id, ["approve"] * 5, at=AT))
    db.commit()
    SHOTS.mkdir(exist_ok=True)
    sign_in(page, live_url, "dist")
    page.goto(f"{live_url}/cases/{case.id}")
    header = page.inner_text("#standing")
    assert "已批准" in header and "420.00 元/月" in header and "困难家庭" in header
    timeline = page.inner_text("ol.timeline")
    assert "批准 · 赵科长" in timeline.replace("\n", " ") and "dist" not in timeline
    assert max(table_gaps(page)) < 20, "no blank space around the submitted tables"
    page.eval_on_selector_all("details.step-data", "ds => ds.forEach(d => d.open = true)")
    page.screenshot(path=str(SHOTS / "case-approved.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SHOTS / "case-approved-375.png"), full_page=True)


def table_gaps(page) -> list[float]:
    """Pixels between each submitted table and the label above it / the item below it."""
    return page.evaluate("""() => [...document.querySelectorAll('dl.data dd.wide .table-wrap')]
      .flatMap(t => {
        const dd = t.closest('dd'), above = dd.previousElementSibling.getBoundingClientRect();
        const below = dd.nextElementSibling, box = t.getBoundingClientRect();
        return [box.top - above.bottom].concat(
          below ? [below.getBoundingClientRect().top - box.bottom] : []);
      })""")


def test_the_amount_star_follows_the_decision(db, live_url, page):
    world, case = linzi_case(db, "李四")
    after_notice(db, walk(world, case.id, ["approve"] * 4, at=AT))
    task = open_task(db, case.id)
    db.commit()
    sign_in(page, live_url, "dist")
    page.goto(f"{live_url}/tasks/{task.id}")
    amount = page.locator("label[for=f-amount] .req-when")
    reason = page.locator("label[for=f-reason] .req-when")
    page.wait_for_function("document.querySelector('label[for=f-amount] .req-when').hidden")
    assert amount.is_hidden() and reason.is_hidden()
    page.select_option("[name=decision]", "approve")
    assert amount.is_visible() and reason.is_hidden()
    page.screenshot(path=str(SHOTS / "approval-amount-required.png"), full_page=True)
    page.select_option("[name=decision]", "reject")
    assert amount.is_hidden() and reason.is_visible()


def test_a_case_on_notice_says_until_when(db, live_url, page):
    world, case = linzi_case(db, "王五")
    walk(world, case.id, ["approve"], at=AT)  # the village's notice runs 7 days from 11:00
    db.commit()
    sign_in(page, live_url, "dist")
    page.goto(f"{live_url}/cases/{case.id}")
    assert "公示中，至 12-08" in page.inner_text("#standing .now")
    assert "12-08 期满后继续办理" in page.inner_text("#standing .next")
    assert "公示中，至 12-08" in page.inner_text("#open-tasks")
    page.screenshot(path=str(SHOTS / "case-on-notice.png"))
