"""One case from intake to approval, through the pages only (timers fired by the worker)."""

import re
from datetime import timedelta

from engine.casework import timers
from engine.store.models import Case
from engine.time import clock
from tests.factories import open_task, valid_application, valid_step_data
from tests.web.conftest import as_post, post_form, sign_in, sign_out, text

WORKERS = {"village_evaluation": "vil11", "township_review": "town1",
           "district_crosscheck": "dist", "third_party_verification": "assess",
           "district_approval": "dist"}


def test_a_case_walks_from_intake_to_approved_through_the_pages(world, client):
    db = world.db
    sign_in(client, "clerk1")
    intake = text(client.get("/cases/new"))
    assert "甲一村" in intake and "甲二村" in intake and "乙一村" not in intake
    form = [("village", "V11"), ("procedure", "linzi_identification")]
    form += as_post(valid_application())
    response = post_form(client, "/cases/new", form + [("comment", "窗口受理")],
                         page_url="/cases/new?village=V11&procedure=linzi_identification")
    assert response.status_code == 302
    case_id = int(re.search(r"/cases/(\d+)$", response.headers["Location"]).group(1))
    assert "已受理" in text(client.get(f"/cases/{case_id}"))
    sign_out(client)

    at = clock.now()
    steps = []
    while True:
        task = open_task(db, case_id)
        if task is None:
            at += timedelta(days=8)
            timers.run_pass(db, at)
            db.expire_all()
            if db.get(Case, case_id).status != "running":
                break
            task = open_task(db, case_id)
        steps.append(task.step)
        sign_in(client, WORKERS[task.step])
        assert f"/tasks/{task.id}" in text(client.get("/inbox"))
        response = post_form(client, f"/tasks/{task.id}",
                             as_post(valid_step_data(task.form_key)))
        assert response.status_code == 302, text(response)[:2000]
        sign_out(client)

    assert steps == list(WORKERS)
    sign_in(client, "dist")
    page = text(client.get(f"/cases/{case_id}"))
    assert "已批准" in page
    assert "区主管部门核查审批" in page or "核查审批" in page
    assert page.count("公示期满") == 3
