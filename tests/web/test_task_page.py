"""The task page: the step's form, the case beside it, and errors inline in Chinese."""

from engine.casework import cases
from engine.time import clock
from tests.factories import open_task, valid_application, valid_step_data, walk
from tests.forms.samples import make_id_number
from tests.web.conftest import as_post, post_form, sign_in, text


def start(world):
    return cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), comment="窗口受理", now=clock.now())


def test_the_page_shows_the_form_the_case_and_its_history(world, client):
    case = start(world)
    task = open_task(world.db, case.id)
    sign_in(client, "vil11")
    page = text(client.get(f"/tasks/{task.id}"))
    assert "村级民主评议" in page
    for name in ("meeting_date", "attendees", "votes_for", "decision", "minutes_file"):
        assert f'name="{name}"' in page
    assert '<option value="approve">同意推荐</option>' in page
    assert "王建国" in page and "甲一村" in page and "3人" in page
    assert "受理申请" in page and "窗口受理" in page, "history with comments"
    assert "家庭成员" in page and "配偶" in page, "the application, with choice labels"


def test_a_bad_value_comes_back_inline_in_chinese_with_what_was_typed(world, client):
    case = start(world)
    task = open_task(world.db, case.id)
    sign_in(client, "vil11")
    data = valid_step_data("village_evaluation")
    data["attendees"] = "十个人"
    response = post_form(client, f"/tasks/{task.id}", as_post(data) + [("comment", "先存着")])
    assert response.status_code == 422
    page = text(response)
    assert "提交内容有误" in page
    assert 'value="十个人"' in page and "先存着" in page
    assert 'value="2024-03-05"' in page and 'value="approve" selected' in page
    block = page[page.index('name="attendees"'):]
    assert 'class="field-error"' in block[:600], "the message sits next to its field"
    world.db.refresh(task)
    assert task.completed_at is None


def test_a_bad_id_number_in_a_member_row_is_flagged_on_that_row(world, client):
    sign_in(client, "clerk1")
    application = valid_application()
    bad = make_id_number(application["members"][1]["birth_date"] and
                         __import__("datetime").date(1970, 11, 2), 34, male=False)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    application["members"][1]["id_number"] = bad
    form = [("village", "V11"), ("procedure", "linzi_identification")] + as_post(application)
    response = post_form(client, "/cases/new", form,
                         page_url="/cases/new?village=V11&procedure=linzi_identification")
    assert response.status_code == 422
    page = text(response)
    assert "家庭成员 第2行 身份证号码" in page
    assert f'value="{bad}"' in page, "the typed ID number is kept"
    row = page[page.index('name="members-1-id_number"'):]
    assert 'class="field-error"' in row[:600]
    assert "身份证" in row[row.index('class="field-error"'):][:200]
    assert 'value="李秀英"' in page and 'value="王小明"' in page


def test_completing_moves_the_case_on_and_returns_to_the_inbox(world, client):
    case = start(world)
    task = open_task(world.db, case.id)
    sign_in(client, "vil11")
    data = as_post(valid_step_data("village_evaluation"))
    response = post_form(client, f"/tasks/{task.id}", data + [("comment", "同意推荐")])
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    inbox = text(client.get("/inbox"))
    assert "已提交" in inbox and "没有待办事项" in inbox
    world.db.refresh(task)
    assert task.outcome == "approve" and task.data["attendees"] == 9
    assert client.get(f"/tasks/{task.id}").status_code == 200


def test_earlier_steps_are_shown_read_only_with_labels(world, client):
    case = start(world)
    at = walk(world, case.id, ["approve"])
    from tests.factories import after_notice
    after_notice(world.db, at)
    task = open_task(world.db, case.id)
    sign_in(client, "town1")
    page = text(client.get(f"/tasks/{task.id}"))
    assert "镇（街道）审核确认" in page or task.name in page
    assert "村级评议推荐" in page and "同意推荐" in page and "评议会日期" in page
