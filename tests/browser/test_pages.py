"""Real browser: rows added with rows.js, the case diagram drawn and marked by bpmn-js."""

from tests.factories import PASSWORD, make_world
from tests.forms.samples import HEAD_BIRTH, SPOUSE_BIRTH, make_id_number


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def fill_member(page, index: int, relation: str, name: str, id_number: str, birth: str) -> None:
    page.select_option(f"[name=members-{index}-relation]", relation)
    page.fill(f"[name=members-{index}-name]", name)
    page.fill(f"[name=members-{index}-id_number]", id_number)
    page.fill(f"[name=members-{index}-birth_date]", birth)
    page.select_option(f"[name=members-{index}-labour_capacity]", "partial")


def test_intake_with_an_added_member_row_then_the_marked_diagram(db, live_url, page):
    make_world(db)
    db.commit()
    sign_in(page, live_url, "clerk1")
    page.goto(f"{live_url}/cases/new?village=V11&procedure=linzi_identification")
    head_id = make_id_number(HEAD_BIRTH, 21)
    page.fill("[name=head_name]", "王建国")
    page.fill("[name=head_id_number]", head_id)
    page.fill("[name=head_phone]", "13805331234")
    fill_member(page, 0, "self", "王建国", head_id, HEAD_BIRTH.isoformat())
    members = page.locator("[data-rows=members]")
    members.locator("[data-add-row]").click()
    members.locator("[data-add-row]").click()
    assert members.locator("[data-row]").count() == 3
    members.locator("[data-row]").nth(2).locator("[data-remove-row]").click()
    assert members.locator("[data-row]").count() == 2
    fill_member(page, 1, "spouse", "李秀英", make_id_number(SPOUSE_BIRTH, 34, male=False),
                SPOUSE_BIRTH.isoformat())
    page.select_option("[name=hardship_cause]", "illness")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/cases/*")
    assert "已受理" in page.content()
    assert "2人" in page.inner_text("dl.summary")
    page.wait_for_selector("#diagram.ready", timeout=10_000)
    assert page.locator(".djs-element.step-current[data-element-id=village_evaluation]").count()
    assert page.locator(".djs-element.step-current").count() == 1
