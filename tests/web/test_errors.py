"""403 and 404 as pages in Chinese, inside the layout."""

from engine.casework import cases
from engine.time import clock
from tests.factories import open_task, valid_application
from tests.web.conftest import sign_in, text


def test_a_missing_page_is_a_chinese_404(world, client):
    sign_in(client, "vil11")
    response = client.get("/tasks/999999")
    assert response.status_code == 404
    page = text(response)
    assert "页面不存在" in page and "待办事项不存在" in page and "返回首页" in page
    assert "/static/yimen.css" in page, "inside the layout"
    assert client.get("/no/such/page").status_code == 404


def test_a_task_of_another_level_is_a_chinese_403(world, client):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=clock.now())
    task = open_task(world.db, case.id)
    sign_in(client, "town1")
    response = client.get(f"/tasks/{task.id}")
    assert response.status_code == 403
    assert "无权访问" in text(response) and "不属于您的办理范围" in text(response)


def test_a_designer_may_not_read_cases_or_take_in_applications(world, client):
    sign_in(client, "designer")
    assert client.get("/cases").status_code == 403
    assert client.get("/cases/new").status_code == 403
    assert "已部署流程" in text(client.get("/procedures"))


def test_a_district_approver_takes_in_no_household_only_region_procedures(world, client):
    """As POST /api/cases (tests/web/test_intake_doors.py): the district's own regions, such
    as for a standard adjustment, and no village; a township reviewer gets a Chinese 403."""
    sign_in(client, "dist")
    page = text(client.get("/cases/new"))
    assert 'value="D1"' in page and 'value="T1"' in page
    assert 'value="V11"' not in page
    sign_in(client, "town1")
    response = client.get("/cases/new")
    assert response.status_code == 403 and "您无权受理申请" in text(response)


def test_a_task_claimed_by_a_colleague_is_a_chinese_409(world, client):
    from engine.casework import tasks
    from engine.people import accounts
    from tests.factories import PASSWORD
    from tests.web.conftest import csrf_token

    accounts.add_user(world.db, "vil11b", "village", "V11", PASSWORD)
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=clock.now())
    task = open_task(world.db, case.id)
    tasks.claim(world.db, world.user("vil11b"), task.id)
    sign_in(client, "vil11")
    page = text(client.get(f"/tasks/{task.id}"))
    assert "vil11b" in page and f"/tasks/{task.id}/claim" not in page
    response = client.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 409
    assert "操作冲突" in text(response) and "已被他人认领" in text(response)
