"""The top bar on a desktop: with a district's or an admin's many links and a long name, each
link keeps its words on one line (the links wrap as wholes, never 待/办 stacked)."""

from __future__ import annotations

from tests.factories import PASSWORD, make_world

# The text lines of each menu link and of the signed-in person's name.
LINES = """[...document.querySelectorAll('.mainnav a, .who > span')].map(e => {
  const r = document.createRange(); r.selectNodeContents(e);
  const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
  return [e.innerText.trim(), tops.size]; })"""


def test_the_menu_links_keep_their_words_on_one_line(db, live_url, browser):
    world = make_world(db)
    for name in ("dist", "admin"):
        world.user(name).display_name = "区民政局审批员 王敏"
    db.commit()
    for name in ("dist", "admin"):
        for width in (1024, 1366):
            context = browser.new_context(viewport={"width": width, "height": 768},
                                          locale="zh-CN")
            page = context.new_page()
            page.goto(f"{live_url}/login")
            page.fill("#username", name)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert "/login" not in page.url, name
            lines = page.evaluate(LINES)
            assert len(lines) > 5, lines
            broken = [text for text, count in lines if count != 1]
            assert broken == [], f"{name} at {width} px: broken links {broken}"
            context.close()
