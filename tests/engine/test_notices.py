"""Public notices: opened and closed with the workflow, objections, nothing personal shown."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.casework import cases, notices, timers
from engine.store.errors import Conflict, Invalid, TooManyRequests
from engine.store.models import AuditEvent, Notice, Notification, Objection
from engine.time import clock
from tests.factories import make_world, open_task, valid_application, walk


@pytest.fixture
def world(db):
    return make_world(db)


def start(world):
    return cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=clock.now())


def test_a_notice_opens_when_the_village_recommends_and_closes_when_it_passes(world):
    now = clock.now()
    case = start(world)
    walk(world, case.id, ["approve"], now)
    notice = world.db.scalar(select(Notice).where(Notice.case_id == case.id))
    assert (notice.step, notice.org.code, notice.closed_at) == ("village_notice", "V11", None)
    assert timedelta(days=6) < notice.ends_at - notice.starts_at <= timedelta(days=7, hours=1)
    assert [n.id for n in notices.public_list(world.db, "T1")] == [notice.id]
    assert [n.id for n in notices.public_list(world.db, "V11")] == [notice.id]
    assert notices.public_list(world.db, "V12") == []
    timers.run_pass(world.db, now + timedelta(days=8))
    world.db.refresh(notice)
    assert notice.outcome == "passed" and notice.closed_at is not None
    assert notices.public_list(world.db, "T1") == []
    assert open_task(world.db, case.id).step == "township_review"


def test_an_objection_sends_the_case_back_for_re_evaluation(world):
    now = clock.now()
    case = start(world)
    walk(world, case.id, ["approve"], now)
    notice = world.db.scalar(select(Notice).where(Notice.case_id == case.id))
    objection = notices.object_to(world.db, notice.id, "该户有子女在城里工作，收入未申报",
                                  "13900001111", "张三", "10.0.0.1", now=now + timedelta(days=2))
    assert objection.routed
    world.db.refresh(notice)
    assert notice.outcome == "objected"
    assert open_task(world.db, case.id).step == "village_evaluation"
    assert world.db.scalar(select(Notification).where(Notification.kind == "objection"))
    actions = world.db.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id))
    assert "notice.objected" in list(actions)
    timers.run_pass(world.db, now + timedelta(days=9))
    assert open_task(world.db, case.id).step == "village_evaluation", "the timer was cancelled"


def test_objections_are_validated_rate_limited_and_refused_after_the_notice(world):
    now = clock.now()
    case = start(world)
    walk(world, case.id, ["approve"], now)
    notice = world.db.scalar(select(Notice).where(Notice.case_id == case.id))
    with pytest.raises(Invalid) as err:
        notices.object_to(world.db, notice.id, "", "", "", "10.0.0.2")
    assert set(err.value.fields) == {"reason", "contact"}
    other = start(world)
    walk(world, other.id, ["approve"], now)
    target = world.db.scalar(select(Notice).where(Notice.case_id == other.id))
    # A model without an objection branch keeps its notice running; use the other notice
    for _ in range(notices.OBJECTIONS_PER_HOUR):
        world.db.add(Objection(notice_id=target.id, case_id=other.id, at=now, contact="x",
                               reason="y", client_key=notices.client_key("10.0.0.3")))
    world.db.commit()
    with pytest.raises(TooManyRequests):
        notices.object_to(world.db, target.id, "理由", "电话", "", "10.0.0.3", now=now)
    timers.run_pass(world.db, now + timedelta(days=8))
    with pytest.raises(Conflict):
        notices.object_to(world.db, target.id, "理由", "电话", "", "10.0.0.4")


def test_public_api_shows_no_personal_data(client, world):
    now = clock.now()
    application = valid_application()
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       application, now=now)
    walk(world, case.id, ["approve"], now)
    res = client.get("/api/notices?org=T1")
    assert res.status_code == 200 and len(res.json) == 1
    item = res.json[0]
    assert item["name"] == application["head_name"]
    assert item["household_size"] == len(application["members"])
    text = json.dumps(res.json, ensure_ascii=False)
    for secret in [application["head_id_number"], application["head_phone"],
                   application["address"], *(m["id_number"] for m in application["members"])]:
        assert secret not in text
    for income in application["incomes"]:
        assert f'"{income["amount"]}"' not in text and str(income["amount"]) not in text
    assert client.get("/api/notices?org=NOPE").status_code == 404
    res = client.post(f"/api/notices/{item['id']}/objections",
                      json={"reason": "收入不实", "contact": "13800000000"})
    assert res.status_code == 201
    res = client.post(f"/api/notices/{item['id']}/objections", json={"reason": "x"})
    assert res.status_code == 422 and "contact" in res.json["error"]["fields"]


def test_the_district_notice_after_approval_publishes_the_approved_amount(world):
    """The tables proposed one figure; the district approved another (420.00, typed on the
    approval form): the 区级公告 names the approved one, on the public list too."""
    case = start(world)
    walk(world, case.id, ["approve"] * 5)
    rows = world.db.scalars(select(Notice).where(Notice.case_id == case.id)
                            .order_by(Notice.id)).all()
    assert [n.step for n in rows] == ["village_notice", "township_notice", "district_notice"]
    township, district = rows[1], rows[2]
    assert township.proposed_amount != Decimal("420.00"), "the tables' proposal differs"
    assert district.proposed_amount == Decimal("420.00")
    assert [n.proposed_amount for n in notices.public_list(world.db, "V11")] == [
        Decimal("420.00")]
