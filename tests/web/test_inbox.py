"""The inbox page: scoped to the official's org and level, filtered, paged, claimable."""

import re
from datetime import timedelta

import pytest

from engine.casework import cases, tasks, timers
from engine.time import clock
from tests.factories import open_task, valid_step_data
from tests.web.conftest import csrf_token, household, sign_in, text


def start(world, village="V11", at=None):
    return cases.start(world.db, world.user("clerk1"), "linzi_identification", village,
                       household(), now=at or clock.now())


def task_ids(html: str) -> list[int]:
    return sorted({int(i) for i in re.findall(r'href="/tasks/(\d+)"', html)})


def test_a_village_official_sees_only_their_village_s_tasks(world, client):
    case = start(world)
    task = open_task(world.db, case.id)
    sign_in(client, "vil12")
    page = text(client.get("/inbox"))
    assert task.id not in task_ids(page)
    assert "没有待办事项" in page
    assert client.get(f"/tasks/{task.id}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    sign_in(client, "vil11")
    page = text(client.get("/inbox"))
    assert task_ids(page) == [task.id]
    assert "王建国" in page and "村级评议推荐" in page


def test_overdue_tasks_are_marked_and_can_be_filtered(world, client):
    late = start(world, at=clock.now() - timedelta(days=30))
    fresh = start(world)
    sign_in(client, "vil11")
    page = text(client.get("/inbox"))
    assert "已逾期" in page
    late_task, fresh_task = open_task(world.db, late.id), open_task(world.db, fresh.id)
    assert task_ids(page) == sorted([late_task.id, fresh_task.id])
    assert page.index(f"/tasks/{late_task.id}") < page.index(f"/tasks/{fresh_task.id}"), \
        "soonest due first"
    only_late = text(client.get("/inbox?overdue=1"))
    assert task_ids(only_late) == [late_task.id]
    due = (clock.now() + timedelta(days=1)).date().isoformat()
    assert task_ids(text(client.get(f"/inbox?due_before={due}"))) == [late_task.id]
    assert task_ids(text(client.get("/inbox?step=township_review"))) == []


def test_a_township_filters_its_inbox_by_village(world, client):
    a, b = start(world, "V11"), start(world, "V12")
    for case, official in ((a, "vil11"), (b, "vil12")):
        tasks.complete(world.db, world.user(official), open_task(world.db, case.id).id,
                       valid_step_data("village_evaluation"))
    timers.run_pass(world.db, clock.now() + timedelta(days=8))
    sign_in(client, "town1")
    all_ids = task_ids(text(client.get("/inbox")))
    assert len(all_ids) == 2
    only_v12 = task_ids(text(client.get("/inbox?village=V12")))
    assert only_v12 == [open_task(world.db, b.id).id]


def test_claiming_and_giving_back_a_task(world, client):
    case = start(world)
    task = open_task(world.db, case.id)
    sign_in(client, "vil11")
    page = client.get("/inbox")
    response = client.post(f"/tasks/{task.id}/claim",
                           data={"csrf_token": csrf_token(text(page)), "next": "/inbox"})
    assert response.status_code == 302
    page = text(client.get("/inbox?mine=1"))
    assert task_ids(page) == [task.id] and "已认领该事项" in page
    assert f"/tasks/{task.id}/unclaim" in page
    client.post(f"/tasks/{task.id}/unclaim", data={"csrf_token": csrf_token(page)})
    assert task_ids(text(client.get("/inbox?mine=1"))) == []


def test_claiming_without_the_csrf_token_is_refused(world, client):
    case = start(world)
    task = open_task(world.db, case.id)
    sign_in(client, "vil11")
    assert client.post(f"/tasks/{task.id}/claim").status_code == 400
    world.db.refresh(task)
    assert task.assignee_id is None


@pytest.mark.parametrize("count", [3])
def test_the_inbox_pages_through_many_tasks(world, client, monkeypatch, count):
    from web.pages import inbox

    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)
    for _ in range(count):
        start(world)
    sign_in(client, "vil11")
    first = text(client.get("/inbox"))
    assert len(task_ids(first)) == 2 and "下一页" in first and "上一页" not in first
    assert "共 3 项" in first
    second = text(client.get("/inbox?offset=2"))
    assert len(task_ids(second)) == 1 and "上一页" in second and "下一页" not in second


def test_each_task_is_named_by_its_own_case_s_procedure_version(world, client):
    from engine.workflow import procedures
    from tests.engine.bundles import linzi_edited

    old = open_task(world.db, start(world).id)
    procedures.deploy(world.db, None, "D1",
                      linzi_edited({'name="村级评议推荐"': 'name="村级民主评议"'}))
    new = open_task(world.db, start(world).id)
    assert (old.step, old.name, new.step, new.name) == (
        "village_evaluation", "村级评议推荐", "village_evaluation", "村级民主评议")
    sign_in(client, "vil11")
    page = text(client.get("/inbox"))
    rows = {int(i): name for i, name in re.findall(r'<a href="/tasks/(\d+)">([^<]+)</a>', page)}
    assert rows == {old.id: "村级评议推荐", new.id: "村级民主评议"}
    # the step filter lists the step once, by both the names its open tasks carry
    option = r'<option value="village_evaluation"[^>]*>村级民主评议 / 村级评议推荐</option>'
    assert re.search(option, page)
def test_the_inbox_page_makes_four_statements_whatever_it_shows(world, client):
    """The session's user, the rows with their cases, the capped counts, the org cache's
    counter (the villages are kept under it): the same four with one task or with many,
    filtered or not."""
    from sqlalchemy import event

    from web.extensions import db

    for _ in range(3):
        start(world)
    sign_in(client, "vil11")
    client.get("/inbox")  # fills the caches of the first request
    seen: list[str] = []

    def on_execute(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        for path in ("/inbox", "/inbox?overdue=1&village=V11&mine=1", "/inbox?step=x"):
            seen.clear()
            response = client.get(path)
            assert response.status_code == 200
            assert len(seen) <= 4, (path, seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)


def test_big_inboxes_show_capped_counts(world, client, monkeypatch):
    from engine.casework import workspace

    monkeypatch.setattr(workspace, "INBOX_CAP", 2)
    for _ in range(3):
        start(world)
    sign_in(client, "vil11")
    page = text(client.get("/inbox"))
    assert '<span class="count">1+</span>' in page
    assert "<b>2+</b>" in page and "只计前 2 项" in page
    assert len(task_ids(page)) == 3, "the rows themselves are not capped"
    second = text(client.get("/inbox?offset=1"))
    assert '<span class="count">2+</span>' in second, "the total counts past the offset"


def test_a_small_inbox_shows_exact_counts(world, client):
    for _ in range(2):
        start(world)
    sign_in(client, "vil11")
    page = text(client.get("/inbox"))
    assert '<span class="count">2</span>' in page and "<b>2</b>" in page
    assert "只计前" not in page


def test_the_village_filter_follows_the_org_tree_at_once(world, client):
    """The village choices come from the process's org cache: an org imported (or renamed)
    after the page was first shown is there on the next request, and the chosen one is
    marked."""
    from engine.people import orgs

    sign_in(client, "town1")
    page = text(client.get("/inbox"))
    assert '<option value="V11">甲一村</option>' in page
    assert "V13" not in page
    orgs.import_csv(world.db, "code,name,level,parent_code\nV13,甲三<村>,village,T1\n"
                              "V11,甲一村（新）,village,T1\n")
    page = text(client.get("/inbox?village=V12"))
    assert '<option value="V13">甲三&lt;村&gt;</option>' in page, "escaped, and there at once"
    assert '<option value="V11">甲一村（新）</option>' in page
    assert '<option value="V12" selected>甲二村</option>' in page
    assert page.count(" selected>") == 1
    cases_page = text(client.get("/cases?village=V13"))
    assert '<option value="V13" selected>甲三&lt;村&gt;</option>' in cases_page
