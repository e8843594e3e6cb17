"""Chinese by default; ?lang=en switches to English and stays for the session."""

from engine.store.models import Job
from engine.time import clock
from tests.web.conftest import sign_in, text


def test_chinese_is_the_default_and_english_is_one_click_away(world, client):
    sign_in(client, "vil11")
    page = text(client.get("/inbox"))
    assert "待办事项" in page and 'href="?lang=en"' in page
    english = text(client.get("/inbox?lang=en"))
    assert "Inbox" in english and "Sign out" in english and "待办事项" not in english
    assert 'lang="en"' in english
    assert "Find cases" in text(client.get("/cases")), "the choice is kept in the session"
    assert "案件查询" in text(client.get("/cases?lang=zh_CN"))


def test_english_survives_signing_in(world, client):
    client.get("/login?lang=en")
    sign_in(client, "vil11")
    assert "Inbox" in text(client.get("/inbox"))


def english(client, url: str) -> str:
    response = client.get(url + ("&" if "?" in url else "?") + "lang=en")
    assert response.status_code == 200, url
    return text(response)


def test_the_oversight_pages_are_in_english(world, client):
    world.db.add(Job(kind="recalculate_topups", org_path="/D1/T1/", status="running",
                     params={"last_error": "案件 17：决策表出错"},
                     total=8, done=3, skipped=1, created_at=clock.now()))
    world.db.commit()
    sign_in(client, "dist")
    jobs = english(client, "/admin/jobs")
    assert "Bulk jobs" in jobs and "Top-up recalculation" in jobs and "In progress" in jobs
    assert "4 of 8 households handled" in jobs and "Skipped" in jobs and "Progress" in jobs
    assert "批量任务" not in jobs and "补差重新核算" not in jobs and "进行中" not in jobs
    assert "已处理" not in jobs and "跳过" not in jobs
    assert "Last error: </b>案件 17：决策表出错" in jobs and "最近错误" not in jobs
    overdue = english(client, "/admin/overdue")
    assert "Overdue tasks" in overdue and "Nothing overdue." in overdue
    assert "逾期事项" not in overdue and "没有逾期事项" not in overdue
    notifications = english(client, "/notifications")
    assert "No notifications." in notifications and "暂无通知" not in notifications
    sign_in(client, "admin")
    calendar = english(client, "/admin/calendar")
    assert "Working-day calendar" in calendar and "Import holiday schedule" in calendar
    assert "工作日历" not in calendar and "导入节假日安排" not in calendar


def test_the_designer_pages_are_in_english(world, client):
    sign_in(client, "designer")
    index = english(client, "/designer")
    assert "Upload and deploy a bundle" in index and "Check and deploy" in index
    assert "Open the designer" in index
    assert "上传流程包并部署" not in index and "校验并部署" not in index
    assert "打开设计器" not in index
    versions = english(client, "/designer/linzi_identification/versions?region=D1")
    assert "Back to the designer" in versions and "First version" in versions
    assert "返回设计器" not in versions and "首个版本" not in versions


def test_page_texts_follow_each_request_s_language_in_one_process(world, client):
    """Templates' `_()` keeps each translation per locale: switching back and forth, with and
    without variables, every page is wholly in the language it was asked in."""
    from engine.casework import cases
    from tests.web.conftest import household

    cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11", household(),
                now=clock.now())
    size = len(household()["members"])
    sign_in(client, "vil11")
    for _ in range(2):
        chinese = text(client.get("/inbox?lang=zh_CN"))
        assert "待办事项" in chinese and f"{size}人" in chinese and "Inbox" not in chinese
        english_page = text(client.get("/inbox?lang=en"))
        assert "Inbox" in english_page and f"{size} persons" in english_page
        assert "待办事项" not in english_page and f"{size}人" not in english_page


def test_every_category_the_shared_forms_decide_has_a_label_in_both_languages(app):
    """A category code (the shared district_approval's `hardship`) is never shown raw."""
    from flask_babel import force_locale

    import forms
    from web.pages.labels import category_label

    codes = {o.value for form in forms.load_shared_forms().values()
             for f in form.fields if f.name == "category" for o in f.options}
    assert codes
    with app.test_request_context("/"):
        assert all(category_label(c) != c for c in codes)
        assert category_label("hardship") == "困难家庭"
    with app.test_request_context("/"), force_locale("en"):
        assert category_label("hardship") == "Household in hardship"
