"""The bulk job page: progress of top-up recalculations and yearly reviews, by region."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import render_template_string
from flask_login import login_user

from engine.casework import cases, reviews
from engine.people import orgs
from engine.store.models import Job
from engine.time import clock
from tests.factories import valid_application
from tests.web.conftest import sign_in, text
from web.auth import Official
from web.i18n import local_time

REFRESH = '<meta http-equiv="refresh" content="10">'


def add_job(world, org_path: str, **fields) -> Job:
    """A job row as the worker leaves it part-way (benefits.py and reviews.py queue them)."""
    values = {"kind": "recalculate_topups", "params": {"standard": 900.0}, "status": "running",
              "total": 8, "done": 3, "skipped": 1, "created_at": clock.now()} | fields
    job = Job(org_path=org_path, **values)
    world.db.add(job)
    world.db.commit()
    return job


def listed(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'<tr id="job-(\d+)"', html)}


def test_the_jobs_page_shows_a_job_of_the_official_s_region_with_its_progress(world, client):
    job = add_job(world, "/D1/T1/", params={"standard": 900.0,
                                             "last_error": "案件 17：决策表没有给出有效的金额"})
    sign_in(client, "town1")
    response = client.get("/admin/jobs")
    html = text(response)
    assert response.status_code == 200
    assert listed(html) == {job.id}
    row = html.split(f'id="job-{job.id}"')[1].split("</tr>")[0]
    assert "补差重新核算" in row and "甲镇" in row and "进行中" in row
    assert "已处理 4 / 8 户" in row and "50%" in row and 'value="50"' in row
    assert '<span class="badge late">1</span>' in row  # skipped
    assert "案件 17：决策表没有给出有效的金额" in html
    assert REFRESH in html, "an unfinished job refreshes the page"


def test_jobs_outside_the_official_s_org_are_not_listed(world, client):
    orgs.import_csv(world.db, "code,name,level,parent_code\nD2,邻区,district,\n"
                              "T9,丙镇,township,D2\n")
    mine = add_job(world, "/D1/T1/")
    other_township = add_job(world, "/D1/T2/", kind="start_reviews")
    other_district = add_job(world, "/D2/T9/")
    whole_district = add_job(world, "/D1/", kind="start_reviews")

    sign_in(client, "town1")
    html = text(client.get("/admin/jobs"))
    assert listed(html) == {mine.id}
    assert "乙镇" not in html and "丙镇" not in html and "年度复核批量发起" not in html
    sign_in(client, "dist")
    assert listed(text(client.get("/admin/jobs"))) == {mine.id, other_township.id,
                                                       whole_district.id}
    sign_in(client, "admin")
    html = text(client.get("/admin/jobs"))
    assert other_district.id not in listed(html) and "丙镇" not in html


def test_the_jobs_page_is_refused_to_a_village_official_and_needs_a_login(world, client):
    add_job(world, "/D1/T1/V11/")
    response = client.get("/admin/jobs")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    sign_in(client, "vil11")
    response = client.get("/admin/jobs")
    assert response.status_code == 403
    assert "补差重新核算" not in text(response)
    sign_in(client, "clerk1")
    assert client.get("/admin/jobs").status_code == 403


def test_a_yearly_review_shows_pending_then_done_and_stops_refreshing(world, client):
    now = clock.now()
    job = reviews.start_yearly(world.db, world.user("dist"), "T1", now=now)
    sign_in(client, "dist")
    html = text(client.get("/admin/jobs"))
    row = html.split(f'id="job-{job.id}"')[1].split("</tr>")[0]
    assert "年度复核批量发起" in row and "待处理" in row and "甲镇" in row
    assert "已处理 0 / 0 户" in row and REFRESH in html

    finished = now + timedelta(hours=2)
    reviews.run_jobs(world.db, finished)
    html = text(client.get("/admin/jobs"))
    row = html.split(f'id="job-{job.id}"')[1].split("</tr>")[0]
    assert "已完成" in row and "100%" in row and "待处理" not in row
    assert local_time(now) in row and local_time(finished) in row
    assert REFRESH not in html


def test_a_job_links_its_case_and_an_unknown_kind_shows_as_is(world, client):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application())
    done = add_job(world, "/D1/T1/V11/", case_id=case.id, status="done", done=8, skipped=0,
                   finished_at=clock.now())
    odd = add_job(world, "/D1/T1/", kind="rebuild_index", status="pending", done=0,
                  skipped=0, created_at=clock.now() + timedelta(seconds=1))
    sign_in(client, "dist")
    html = text(client.get("/admin/jobs"))
    assert html.index(f'id="job-{odd.id}"') < html.index(f'id="job-{done.id}"'), "newest first"
    assert f'href="/cases/{case.id}"' in html and "甲一村" in html
    assert "rebuild_index" in html
    assert REFRESH in html  # the pending one


def test_the_navigation_links_the_jobs_page_for_those_who_may_see_it(world, app):
    include = "{% include '_nav_extra.html' %}"
    for username, shown in (("town1", True), ("dist", True), ("admin", True),
                            ("vil11", False), ("clerk1", False), ("designer", False)):
        with app.test_request_context("/"):
            login_user(Official(world.user(username)))
            assert ("/admin/jobs" in render_template_string(include)) is shown, username


def test_a_finished_job_with_failures_says_so_on_the_page_and_in_the_api(world, client):
    error = "案件 17：决策表没有给出有效的金额"
    job = add_job(world, "/D1/T1/", status="done", done=0, skipped=8,
                  finished_at=clock.now(), params={"standard": 900.0, "last_error": error})
    clean = add_job(world, "/D1/T1/", status="done", done=8, skipped=0, finished_at=clock.now())
    sign_in(client, "town1")
    html = text(client.get("/admin/jobs"))
    row = html.split(f'id="job-{job.id}"')[1].split("</tr>")[0]
    assert "已完成（有出错，需处理）" in row
    row = html.split(f'id="job-{clean.id}"')[1].split("</tr>")[0]
    assert "已完成" in row and "出错" not in row
    from engine.people import accounts
    token = accounts.issue_token(world.db, world.user("town1"))
    body = client.get(f"/api/jobs/{job.id}", headers={"Authorization": f"Bearer {token}"}).json
    assert (body["status"], body["done"], body["skipped"], body["last_error"]) == (
        "done", 0, 8, error)
