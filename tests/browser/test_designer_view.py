"""The designer's workspace in a real browser: it opens on the procedure's main process, the
palette never covers the diagram or an element a problem names, and the page logs no console
error (the vendored bpmn-js / dmn-js are production builds)."""

from __future__ import annotations

from tests.browser.test_pages import sign_in
from tests.factories import make_world

PANE = ".designer-pane:not([hidden])"
DRAWN = f"{PANE} .djs-container svg .djs-element"


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def inside(a: dict, b: dict) -> bool:
    return (a["x"] >= b["x"] and a["y"] >= b["y"] and a["x"] + a["width"] <= b["x"] + b["width"]
            and a["y"] + a["height"] <= b["y"] + b["height"])


def element(page, element_id: str) -> str:
    return f'{PANE} .djs-element[data-element-id="{element_id}"]'


def open_modeler(db, live_url, page) -> list[str]:
    make_world(db)  # Linzi: exit.bpmn, identification.bpmn and review.bpmn
    db.commit()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_url, "designer")
    page.goto(f"{live_url}/designer/linzi_identification?region=D1")
    page.wait_for_selector(DRAWN, timeout=15_000)
    return errors


def test_the_modeler_opens_on_the_main_process_clear_of_the_palette(db, live_url, page):
    errors = open_modeler(db, live_url, page)
    assert page.inner_text(".designer-tab.active") == "identification.bpmn"
    assert page.locator(".designer-tab").first.inner_text() == "identification.bpmn"
    palette = box(page, f"{PANE} .djs-palette")
    start = box(page, element(page, "application"))
    assert not overlaps(start, palette), (start, palette)
    assert inside(start, box(page, PANE))
    page.locator("[data-tab='dmn:eligibility.dmn']").click()
    page.wait_for_selector(f"{PANE} .dmn-decision-table-container, {PANE} .dmn-drd-container",
                           timeout=15_000)
    page.wait_for_timeout(300)
    assert errors == []


def test_a_flagged_element_is_scrolled_into_view_beside_the_palette(db, live_url, page):
    errors = open_modeler(db, live_url, page)
    page.evaluate("""() => {  // zoomed in far from the start event, as a designer might be
        const pane = window.yimenDesigner.panes['bpmn:identification.bpmn'];
        const canvas = pane.modeler.get('canvas');
        canvas.zoom(2.5);
        canvas.scroll({dx: -5000, dy: 0});
    }""")
    flagged = element(page, "application")
    assert not inside(box(page, flagged), box(page, PANE)), "the test starts out of view"
    page.evaluate("""() => window.yimenDesigner.showProblems(
        ['identification.bpmn 中的 application（农户自愿申请）：缺少表单'])""")
    page.wait_for_timeout(500)
    start = box(page, flagged)
    assert inside(start, box(page, PANE)), start
    assert not overlaps(start, box(page, f"{PANE} .djs-palette"))
    assert page.locator(f"{flagged}.designer-problem").count() == 1
    assert errors == []
