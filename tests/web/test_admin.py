"""Oversight pages: the overdue dashboard, the working-day calendar, notifications."""

from __future__ import annotations

import io
from datetime import timedelta, timezone

from flask import render_template_string
from flask_login import login_user

from engine.casework import cases, notices
from engine.time import calendar, clock
from tests.factories import open_task, valid_application, walk
from tests.web.conftest import csrf_token, post_form, sign_in, text
from web.auth import Official


def start(world, at=None):
    return cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=at or clock.now())


def test_the_overdue_dashboard_is_forbidden_to_a_village_official(world, client):
    sign_in(client, "vil11")
    response = client.get("/admin/overdue")
    assert response.status_code == 403


def test_the_overdue_dashboard_needs_a_login(world, client):
    response = client.get("/admin/overdue")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_district_sees_an_overdue_task_its_counts_and_a_trend(world, client):
    late = start(world, clock.now() - timedelta(days=30))
    start(world)  # not overdue
    task = open_task(world.db, late.id)
    sign_in(client, "dist")
    response = client.get("/admin/overdue")
    html = text(response)
    assert response.status_code == 200
    assert f"/cases/{late.id}" in html and task.name in html
    assert html.count('class="overdue"') == 1
    assert "个工作日" in html and "甲一村" in html
    # the summary's earliest deadline is the same day the list shows (the last day, not the
    # midnight that ends it)
    midnight = task.due_at.astimezone(timezone(timedelta(hours=8)))  # China's
    day = (midnight - timedelta(days=1)).date().isoformat()
    summary = html.split("最早截止", 1)[1].split("</table>", 1)[0]
    assert day in summary and f"{midnight.date()} 00:00" not in summary
    chart = html.split("<main")[1].split("</main>")[0]
    assert "<svg" in chart and "<polyline" in chart and "<script" not in chart
    assert html.count("<circle") == 31


def test_the_overdue_dashboard_pages_by_fifty(world, client, monkeypatch):
    from web.pages import admin

    monkeypatch.setattr(admin, "OVERDUE_PAGE", 1)
    first, second = (start(world, clock.now() - timedelta(days=d)) for d in (40, 30))
    sign_in(client, "admin")
    page1, page2 = text(client.get("/admin/overdue")), text(client.get("/admin/overdue?page=2"))
    assert f"/cases/{first.id}\"" in page1 and f"/cases/{second.id}\"" not in page1
    assert f"/cases/{second.id}\"" in page2 and "page=1" in page2
    assert admin.OVERDUE_PAGE == 1


def test_importing_a_2027_calendar_makes_2027_covered(world, client):
    sign_in(client, "admin")
    before = text(client.get("/admin/calendar?year=2027"))
    assert "未覆盖" in before
    csv_text = "date,is_workday,note\n2027-01-01,false,元旦\n2027-02-07,true,春节调休上班\n"
    page = client.get("/admin/calendar?year=2027")
    response = client.post("/admin/calendar", data={
        "csrf_token": csrf_token(text(page)), "year": "2027", "region": "",
        "file": (io.BytesIO(csv_text.encode("utf-8-sig")), "2027.csv")},
        content_type="multipart/form-data", follow_redirects=True)
    html = text(response)
    assert response.status_code == 200
    assert "已覆盖" in html and "未覆盖" not in html
    assert "2027-02-07" in html and "春节调休上班" in html
    assert calendar.show(world.db, 2027).covered


def test_a_bad_calendar_file_lists_each_bad_line_and_imports_nothing(world, client):
    sign_in(client, "admin")
    csv_text = ("date,is_workday,note\n2028-01-01,false,元旦\n2028-13-01,false,坏日期\n"
                "2028-02-05,maybe,坏取值\n")
    page = client.get("/admin/calendar?year=2028")
    response = client.post("/admin/calendar", data={
        "csrf_token": csrf_token(text(page)), "year": "2028",
        "file": (io.BytesIO(csv_text.encode()), "2028.csv")},
        content_type="multipart/form-data")
    html = text(response)
    assert response.status_code == 422
    assert "第 3 行" in html and "第 4 行" in html and "第 2 行" not in html
    assert "未导入任何数据" in html
    view = calendar.show(world.db, 2028)
    assert not view.covered and view.days == []


def test_a_gbk_calendar_file_from_excel_is_read(world, client):
    sign_in(client, "admin")
    csv_text = "date,is_workday,note\n2029-01-01,false,元旦\n"
    page = client.get("/admin/calendar")
    client.post("/admin/calendar", data={
        "csrf_token": csrf_token(text(page)),
        "file": (io.BytesIO(csv_text.encode("gbk")), "2029.csv")},
        content_type="multipart/form-data")
    assert calendar.show(world.db, 2029).days[0][2] == "元旦"


def test_the_calendar_page_is_for_administrators_only(world, client):
    sign_in(client, "dist")
    assert client.get("/admin/calendar").status_code == 403
    response = client.post("/admin/calendar", data={
        "csrf_token": csrf_token(text(client.get("/notifications"))),
        "file": (io.BytesIO(b"date,is_workday,note\n2030-01-01,false,x\n"), "x.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 403
    assert not calendar.show(world.db, 2030).covered


def object_to_a_notice(world):
    case = start(world)
    walk(world, case.id, ["approve"], clock.now())
    notice = notices.public_list(world.db, "V11")[0]
    notices.object_to(world.db, notice.id, "收入未申报", "13900001111", "", "10.0.0.9")
    return case


def test_notifications_show_unread_ones_and_mark_them_seen(world, client):
    object_to_a_notice(world)
    sign_in(client, "vil11")
    html = text(client.get("/notifications"))
    assert "收入未申报" in html and 'class="unread' in html and "公示异议" in html
    response = post_form(client, "/notifications/seen", {}, page_url="/notifications")
    assert response.status_code == 302
    html = text(client.get("/notifications"))
    assert "收入未申报" in html and 'class="unread' not in html


def test_the_extra_navigation_shows_the_unread_count_and_each_role_s_links(world, app):
    object_to_a_notice(world)
    include = "{% include '_nav_extra.html' %}"
    with app.test_request_context("/notifications"):
        login_user(Official(world.user("vil11")))
        html = render_template_string(include)
    assert "/notifications" in html and ">1</span>" in html
    assert "/admin/overdue" not in html and "/admin/calendar" not in html
    with app.test_request_context("/"):
        login_user(Official(world.user("admin")))
        html = render_template_string(include)
    assert "/admin/overdue" in html and "/admin/calendar" in html
    with app.test_request_context("/"):
        login_user(Official(world.user("dist")))
        html = render_template_string(include)
    assert "/admin/overdue" in html and "/admin/calendar" not in html


def test_a_designer_gets_none_of_the_district_s_task_notifications(world):
    from engine.casework import notifications
    from engine.store.models import Notification

    district = world.user("dist")
    world.db.add(Notification(org_id=district.org_id, level="district", kind="overdue",
                              message="已逾期", created_at=clock.now()))
    world.db.commit()
    assert notifications.unread_count(world.db, district) == 1
    assert notifications.unread_count(world.db, world.user("admin")) == 1
    assert notifications.unread_count(world.db, world.user("designer")) == 0
    assert notifications.recent(world.db, world.user("designer")) == []
