"""The case page says what matters: where the case stands and who acts next, what it grants,
people by name, outcomes as each step names them, history in the order it happened."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from engine.casework import cases, tasks
from engine.time import clock
from tests.factories import after_notice, open_task, walk
from tests.forms.samples import valid_step_data
from tests.web.conftest import household, sign_in, text

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, Tuesday 1 December 2026


@pytest.fixture
def case(world):
    """A Linzi identification for 张三 of 甲一村, opened at AT; officials with names."""
    for username, name in (("vil11", "李村官"), ("town1", "王镇长"), ("dist", "赵科长"),
                           ("clerk1", "钱窗口"), ("assess", "孙评估")):
        world.user(username).display_name = name
    world.db.commit()
    return cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       household(head_name="张三"), now=AT)


def page(client, case_id: int, at: datetime, who: str = "dist") -> str:
    sign_in(client, who)
    with clock.frozen(at):
        response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200
    return text(response)


def header(html: str) -> dict[str, str]:
    """The header's items by class (now, next, amount, category, standard), as plain text."""
    block = re.search(r'<dl class="summary standing".*?</dl>', html, re.S)
    assert block, "the page has no standing header"
    items = re.findall(r'<div class="(\w+)"><dt>(.*?)</dt><dd>(.*?)</dd></div>', block.group(0),
                       re.S)
    return {cls: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", f"{dt}|{dd}")).strip()
            for cls, dt, dd in items}


def history(html: str) -> list[str]:
    """The history's entries, top to bottom, as plain text without their times."""
    block = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S)
    assert block
    entries = re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<time>.*?</time>|<[^>]+>", "", e)).strip()
            for e in entries]


def test_a_step_in_hand_names_the_org_that_holds_it(world, client, case):
    got = header(page(client, case.id, AT + timedelta(minutes=5)))
    assert got["now"] == "当前状态|办理中：村级评议推荐"
    assert got["next"] == "下一步|甲一村（村（居））· 村级评议推荐"
    assert got["amount"] == "测算月补差金额|—"  # no table has run yet


def test_during_a_notice_the_state_gives_its_end_and_nothing_is_open(world, client, case):
    village = open_task(world.db, case.id)
    tasks.complete(world.db, world.user("vil11"), village.id,
                   valid_step_data("village_evaluation"), now=AT + timedelta(hours=1))
    # posted at 11:00 on 12-01 (Beijing) for 7 days: it ends at 11:00 on 12-08
    html = page(client, case.id, AT + timedelta(days=2))
    got = header(html)
    assert got["now"] == "当前状态|公示中，至 12-08"
    assert got["next"] == "下一步|村级公示（7天） · 甲一村 · 12-08 期满后继续办理"
    assert "当前待办" in html and "公示中，至 12-08 · 村级公示" in html


def test_an_approved_case_shows_its_amount_category_standard_and_outcome(world, client, case):
    at = walk(world, case.id, ["approve"] * 5, at=AT)
    after_notice(world.db, at)
    got = header(page(client, case.id, at + timedelta(days=9)))
    assert got["now"].startswith("当前状态|已批准")
    assert got["next"] == "下一步|已办结（已批准）"
    assert got["amount"] == "核定月补差金额|420.00 元/月"
    assert got["category"] == "认定类别|困难家庭"
    assert got["standard"].startswith("保障标准|") and "元/人/" in got["standard"]


def test_during_the_district_notice_the_header_shows_what_was_approved(world, client, case):
    """批准 with 420.00 and 困难家庭 typed; the benefit waits for the 区级公告 to pass."""
    at = walk(world, case.id, ["approve"] * 5, at=AT)
    got = header(page(client, case.id, at + timedelta(days=1)))
    assert got["now"].startswith("当前状态|公示中，至 ")
    assert got["amount"] == "核定月补差金额|420.00 元/月"
    assert got["category"] == "认定类别|困难家庭"


def test_a_refused_case_names_the_refusal_and_grants_nothing(world, client, case):
    walk(world, case.id, ["approve"] * 4 + ["reject"], at=AT)
    got = header(page(client, case.id, AT + timedelta(days=30)))
    assert got["now"] == "当前状态|办理中：送达不予认定通知书"
    assert got["next"] == "下一步|甲镇（镇（街道））· 送达不予认定通知书"
    assert got["category"] == "认定类别|—", "the refusal's form recorded one: not granted"
    assert got["amount"] == "核定月补差金额|—", "no proposal stands once refused"
    walk(world, case.id, ["approve"], at=AT + timedelta(days=30))
    html = page(client, case.id, AT + timedelta(days=31))
    got = header(html)
    assert got["next"] == "下一步|已办结（不予认定）"
    assert got["amount"] == "核定月补差金额|—" and got["category"] == "认定类别|—"
    assert "办理完成 · 区主管部门核查审批 · 不予批准 · 赵科长" in history(html)
    assert 'id="open-tasks"' not in html  # nothing left to do: the header says so


def test_history_names_people_and_outcomes_as_the_step_does(world, client, case):
    walk(world, case.id, ["approve"] * 5, at=AT)
    entries = history(page(client, case.id, AT + timedelta(days=30)))
    assert entries[0] == "受理申请 · 低保及扶贫对象认定申请 · 钱窗口"
    assert [e for e in entries if e.startswith("办理完成")] == [
        "办理完成 · 村级评议推荐 · 同意推荐 · 李村官",
        "办理完成 · 镇（街道）审核确认 · 审核同意 · 王镇长",
        "办理完成 · 区级信息比对 · 比对通过 · 赵科长",
        "办理完成 · 第三方评估验证 · 验证属实 · 孙评估",
        "办理完成 · 区主管部门核查审批 · 批准 · 赵科长",
    ]
    assert entries[1] == "期限无法计算 · 系统 工作日历未覆盖 2027 年"


def test_the_household_history_names_steps_people_and_outcomes_too(world, client, case):
    walk(world, case.id, ["approve"] * 5, at=AT)
    sign_in(client, "dist")
    entries = history(text(client.get(f"/households/{case.household_id}")))
    assert entries[0] == "受理申请 · 低保及扶贫对象认定申请 · 钱窗口"
    assert "办理完成 · 区主管部门核查审批 · 批准 · 赵科长" in entries
    assert "办理完成 · 村级评议推荐 · 同意推荐 · 李村官" in entries


def test_history_is_in_event_order_when_the_clock_went_back(world, client, case):
    """A simulated clock set two days back: the village's step is recorded with an earlier
    time than the opening, and still comes after it."""
    village = open_task(world.db, case.id)
    tasks.complete(world.db, world.user("vil11"), village.id,
                   valid_step_data("village_evaluation"), now=AT - timedelta(days=2))
    shown = [actions(history(page(client, case.id, AT)))]
    sign_in(client, "dist")
    shown.append(actions(history(text(client.get(f"/households/{case.household_id}")))))
    for entries in shown:
        assert entries == ["受理申请", "办理完成"]


def actions(entries: list[str]) -> list[str]:
    """The opening and step entries' actions, in the order shown."""
    return [e.split(" · ")[0] for e in entries if e.startswith(("受理申请", "办理完成"))]


def test_the_approval_form_marks_the_amount_required_when_approving(world, client, case):
    at = walk(world, case.id, ["approve"] * 4, at=AT)
    after_notice(world.db, at)
    task = open_task(world.db, case.id)
    assert task.step == "district_approval"
    sign_in(client, "dist")
    html = text(client.get(f"/tasks/{task.id}"))
    label = re.search(r'<label for="f-amount">(.*?)</label>', html, re.S).group(1)
    assert 'class="req req-when" data-field="amount"' in label
    assert "{&#34;decision&#34;: [&#34;approve&#34;]}" in label
    reason = re.search(r'<label for="f-reason">(.*?)</label>', html, re.S).group(1)
    assert "[&#34;return&#34;, &#34;reject&#34;]" in reason
    assert "required_when.js" in html


def test_the_header_in_english(world, client, case):
    village = open_task(world.db, case.id)
    tasks.complete(world.db, world.user("vil11"), village.id,
                   valid_step_data("village_evaluation"), now=AT + timedelta(hours=1))
    sign_in(client, "dist")
    with clock.frozen(AT + timedelta(days=2)):
        got = header(text(client.get(f"/cases/{case.id}?lang=en")))
    assert got["now"] == "Current state|On public notice until 12-08"
    assert got["next"] == "Next|村级公示（7天） · 甲一村 · continues when it ends on 12-08"
    assert got["amount"].startswith("Proposed monthly top-up|")


def test_an_open_task_is_a_link_only_for_those_who_may_work_it(world, client, case):
    task = open_task(world.db, case.id)
    link = f'href="/tasks/{task.id}"'
    worker = page(client, case.id, AT + timedelta(minutes=5), who="vil11")
    assert link in worker
    onlooker = page(client, case.id, AT + timedelta(minutes=5), who="town1")
    block = onlooker.split('id="open-tasks"', 1)[1].split("</section>", 1)[0]
    assert link not in onlooker and task.name in block
