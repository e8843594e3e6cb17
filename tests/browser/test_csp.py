"""The Content-Security-Policy breaks nothing: no violation on the main pages, the case
diagram and the bpmn-js / dmn-js modelers (which draw and edit under that policy)."""

from __future__ import annotations

from engine.workflow import procedures
from tests.browser.test_pages import sign_in
from tests.factories import ROOT, make_world, valid_application

# Records every violation the browser reports, before any page script runs.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' +
                    (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


def violations(page) -> list[str]:
    return page.evaluate("window.__csp || []")


def watch(page) -> list[str]:
    """Console errors the browser prints for blocked content land here as well."""
    page.add_init_script(LISTEN)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text)
            if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    return console


def test_main_pages_and_the_case_diagram_report_no_csp_violation(db, live_url, page):
    from engine.casework import cases

    world = make_world(db)
    case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application())
    db.commit()
    console = watch(page)
    sign_in(page, live_url, "vil11")
    seen = {}
    for path in ("/inbox", "/cases", f"/cases/{case.id}", "/public/V11", "/account/password"):
        page.goto(f"{live_url}{path}")
        page.wait_for_load_state("networkidle")
        seen[path] = violations(page)
    page.goto(f"{live_url}/cases/{case.id}")
    page.wait_for_selector("#diagram.ready", timeout=10_000)
    seen["diagram"] = violations(page)
    assert all(v == [] for v in seen.values()), seen
    assert console == []


def test_the_bpmn_and_dmn_modelers_work_without_csp_violations(db, live_url, page):
    make_world(db, deploy=False)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(ROOT / "bpmn" / "generic"))
    db.commit()
    console = watch(page)
    sign_in(page, live_url, "designer")
    page.goto(f"{live_url}/designer/generic_poverty_registration?region=D1")
    page.wait_for_selector(".designer-pane:not([hidden]) .djs-container svg .djs-element",
                           timeout=15_000)
    assert page.locator(".djs-palette .entry").count() > 5, "the BPMN palette is drawn"
    page.locator("[data-tab^='dmn:']").first.click()
    page.wait_for_selector(".designer-pane:not([hidden]) .dmn-decision-table-container, "
                           ".designer-pane:not([hidden]) .dmn-drd-container .djs-element",
                           timeout=15_000)
    page.click("#designer-validate")
    page.wait_for_selector("#designer-status.ok, #designer-status.bad", timeout=15_000)
    assert "校验通过" in page.inner_text("#designer-status")
    assert violations(page) == []
    assert console == []
