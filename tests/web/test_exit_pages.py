"""The household page's "发起退出": the village official starts an exit from the household
(its head's ID number filled in, no application re-entered) and, once the district confirms
it, the page shows the 销号 record. Dates are written out (2026, on the shipped calendar)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.casework import tasks
from engine.store.models import Case
from tests.engine.test_exit_deregistration import enrolled, township_check
from tests.factories import after_notice, make_world, open_task
from tests.web.conftest import csrf_token, sign_in, text

# The page opens the case at the test clock (Monday 1 June 2026); the steps follow it.
CHECKED_AT = datetime(2026, 6, 2, 2, tzinfo=UTC)  # Tuesday 2 June, 10:00 in Beijing
CONFIRMED_AT = datetime(2026, 6, 15, 2, tzinfo=UTC)  # Monday 15 June, after the notice


@pytest.fixture
def world(db, csrf_on):
    return make_world(db, deploy=False)


def test_an_exit_started_from_the_household_page_ends_in_a_deregistration_record(world,
                                                                                  client):
    db = world.db
    ident = enrolled(world, "linzi")
    head = ident.application["head_id_number"]
    sign_in(client, "vil11")
    page = text(client.get(f"/households/{ident.household_id}"))
    link = f"/cases/new?procedure=linzi_exit&amp;village=V11&amp;household={ident.household_id}"
    assert "发起退出" in page and link in page
    assert "该户没有销号记录。" in page and head not in page

    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert f'value="{head}"' in form  # the household's head, filled in
    assert "家庭成员" not in form  # no application to re-enter
    answer = client.post("/cases/new", data={
        "csrf_token": csrf_token(form), "village": "V11", "procedure": "linzi_exit",
        "head_id_number": head, "exit_reason": "moved_away",
        "proposal_note": "全家迁往外省"})
    assert answer.status_code == 302
    exit_case = db.get(Case, int(answer.headers["Location"].rsplit("/", 1)[1]))
    assert (exit_case.household_id, exit_case.status) == (ident.household_id, "running")

    tasks.complete(db, world.user("town1"), open_task(db, exit_case.id).id,
                   township_check("linzi", exit_reason="moved_away", per_capita_income=None,
                                  checked_on="2026-06-02"),
                   now=CHECKED_AT)
    after_notice(db, CHECKED_AT)
    tasks.complete(db, world.user("dist"), open_task(db, exit_case.id).id,
                   {"decision": "approve", "exit_document": "临民退字〔2026〕12号"},
                   now=CONFIRMED_AT)
    page = text(client.get(f"/households/{ident.household_id}"))
    assert "已退出（待遇已停发）" in page
    assert "2026-06-15" in page and "迁出" in page and "临民退字〔2026〕12号" in page
    assert f"#{exit_case.id}" in page
    assert "/cases/new?procedure=linzi_exit" not in page  # off the roll: no second exit
    english = text(client.get(f"/households/{ident.household_id}?lang=en"))
    assert "Removal from the roll" in english and "Confirming document" in english
