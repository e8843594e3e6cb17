"""The Linzi identification procedure, end to end on the engine: every path."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.casework import cases, deadlines, tasks, timers
from engine.store.errors import Conflict, Forbidden, Invalid
from engine.store.models import AuditEvent, HumanTask, ProcessInstance
from engine.time import clock
from tests.factories import after_notice, make_world, open_task, valid_application, walk

STEPS = ["village_evaluation", "township_review", "district_crosscheck",
         "third_party_verification", "district_approval"]


@pytest.fixture(autouse=True)
def fixed_clock():
    """Every path runs from a fixed Monday in a year the seeded calendar covers, not today."""
    with clock.frozen(datetime(2026, 3, 2, 1, 30, tzinfo=UTC)) as now:
        yield now


@pytest.fixture
def world(db):
    return make_world(db)


def start(world, village="V11", by="clerk1", at=None):
    return cases.start(world.db, world.user(by), "linzi_identification", village,
                       valid_application(), now=at or clock.now())


def test_a_new_case_opens_at_village_evaluation_in_its_village(world):
    case = start(world)
    task = open_task(world.db, case.id)
    assert case.status == "running"
    assert (task.step, task.level, task.org.code) == ("village_evaluation", "village", "V11")
    assert task.due_at is not None and task.due_at > case.opened_at


def test_approve_path_reaches_approved_after_three_notices(world):
    case = start(world)
    at = walk(world, case.id, ["approve"] * 5)
    db = world.db
    assert case.status == "running", "the district notice is still running"
    after_notice(db, at)
    db.refresh(case)
    assert case.status == "approved" and case.closed_at is not None
    done = db.scalars(select(HumanTask.step).where(HumanTask.case_id == case.id)
                      .order_by(HumanTask.id)).all()
    assert done == STEPS
    fired = db.scalars(select(AuditEvent.step).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "timer.fired")).all()
    assert sorted(fired) == ["district_notice", "township_notice", "village_notice"]


def test_notice_holds_the_case_until_seven_days_have_passed(world):
    at = clock.now()
    case = start(world, at=at)
    walk(world, case.id, ["approve"], at)
    timers.run_pass(world.db, at + timedelta(days=6))
    assert open_task(world.db, case.id) is None
    timers.run_pass(world.db, at + timedelta(days=7, hours=2))
    assert open_task(world.db, case.id).step == "township_review"


@pytest.mark.parametrize("level", range(5))
def test_reject_at_each_step_serves_the_refusal_notice_then_ends_rejected(world, level):
    case = start(world)
    at = walk(world, case.id, ["approve"] * level + ["reject"])
    db = world.db
    db.refresh(case)
    assert case.status == "running", "the township still has to serve the refusal notice"
    notice = open_task(db, case.id)
    assert (notice.step, notice.form_key, notice.level, notice.org.code) == (
        "refusal_notice", "refusal_notice", "township", "T1")
    assert notice.due_at is not None and notice.due_at > at
    rejecting = db.scalars(select(HumanTask).where(HumanTask.case_id == case.id,
                                                   HumanTask.completed_at.is_not(None))
                           .order_by(HumanTask.id.desc())).first()
    assert (rejecting.step, rejecting.outcome) == (STEPS[level], "reject")
    walk(world, case.id, ["done"], at)
    db.refresh(case)
    assert case.status == "rejected" and case.closed_at is not None
    assert open_task(db, case.id) is None
    done = db.scalars(select(HumanTask).where(HumanTask.case_id == case.id)
                      .order_by(HumanTask.id)).all()
    assert [(t.step, t.outcome) for t in done[-2:]] == [(STEPS[level], "reject"),
                                                        ("refusal_notice", "done")]
    assert done[-1].data["remedies_informed"] is True


# The test's own calendar for 2031, a year no library data covers: three days off after the
# first week, a Saturday worked, and days off on 4 April and 1-2 May.
CALENDAR_2031 = """date,is_workday,note
2031-03-10,false,test holiday
2031-03-11,false,test holiday
2031-03-12,false,test holiday
2031-03-15,true,test make-up day
2031-04-04,false,test holiday
2031-05-01,false,test holiday
2031-05-02,false,test holiday
"""


def test_a_new_case_is_due_in_30_working_days_and_can_be_extended_to_45_once(world):
    db = world.db
    deadlines.import_calendar(db, CALENDAR_2031)
    opened = datetime(2031, 3, 3, 1, 30, tzinfo=UTC)  # Monday 3 March, 09:30 in Beijing
    # Counted by hand from the day after opening: 4-7 March (4), 13-15 (7), 17-21 (12),
    # 24-28 (17), 31 March-3 April (21), 7-11 (26), 14-17 April (30) → due at the end of
    # Thursday 17 April, Beijing time; then 18 (31), 21-25 (36), 28-30 (39), 5-9 May (44),
    # 12 May (45).
    due_30 = datetime(2031, 4, 17, 16, 0, tzinfo=UTC)
    due_45 = datetime(2031, 5, 12, 16, 0, tzinfo=UTC)
    with clock.frozen(opened):
        case = start(world, at=opened)
        assert clock.as_utc(case.due_at) == due_30
        assert case.extension_reason is None
        with pytest.raises(Forbidden):
            cases.extend(db, world.user("vil11"), case.id, "人户分离，需异地调查")
        with pytest.raises(Invalid) as err:
            cases.extend(db, world.user("town1"), case.id, "   ")
        assert "reason" in err.value.fields
        db.refresh(case)
        assert clock.as_utc(case.due_at) == due_30
        cases.extend(db, world.user("town1"), case.id, "人户分离，需异地调查",
                     now=opened + timedelta(days=3))
        db.refresh(case)
        assert clock.as_utc(case.due_at) == due_45
        assert case.extension_reason == "人户分离，需异地调查"
        extended = db.scalars(select(AuditEvent).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "case.extended")).all()
        assert [e.comment for e in extended] == ["人户分离，需异地调查"]
        with pytest.raises(Conflict):
            cases.extend(db, world.user("dist"), case.id, "再次延期")
        db.refresh(case)
        assert clock.as_utc(case.due_at) == due_45


def test_township_return_sends_the_case_back_to_village_evaluation(world):
    case = start(world)
    walk(world, case.id, ["approve", "return"])
    assert open_task(world.db, case.id).step == "village_evaluation"


@pytest.mark.parametrize("returning_step", [2, 3, 4])
def test_later_returns_go_back_to_township_review_and_can_still_be_approved(world, returning_step):
    case = start(world)
    at = walk(world, case.id, ["approve"] * returning_step + ["return"])
    assert open_task(world.db, case.id).step == "township_review"
    at = walk(world, case.id, ["approve"] * 4, at)
    after_notice(world.db, at)
    world.db.refresh(case)
    assert case.status == "approved"


def test_a_bad_submission_stores_nothing(world):
    case = start(world)
    task = open_task(world.db, case.id)
    before = world.db.scalar(select(ProcessInstance.version))
    with pytest.raises(Invalid) as err:
        tasks.complete(world.db, world.user("vil11"), task.id,
                       {"decision": "maybe", "attendees": -1})
    assert "decision" in err.value.fields and "meeting_date" in err.value.fields
    world.db.expire_all()
    assert open_task(world.db, case.id).id == task.id
    assert world.db.scalar(select(ProcessInstance.version)) == before
    assert world.db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "task.completed")) == 0


def test_a_bad_application_opens_no_case(world):
    application = valid_application()
    application["members"][1]["id_number"] = application["members"][1]["id_number"][:-1] + (
        "0" if application["members"][1]["id_number"][-1] != "0" else "1")
    with pytest.raises(Invalid) as err:
        cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11", application)
    assert "members.1.id_number" in err.value.fields
    assert cases.search(world.db, world.user("admin")) == []


def test_history_records_each_action_in_order(world):
    case = start(world)
    walk(world, case.id, ["approve"])
    detail = cases.detail(world.db, world.user("town1"), case.id)
    # (a case opened near a year end not yet in the calendar also has a deadline.unknown entry)
    history = [e for e in detail.history if e.action != "deadline.unknown"]
    assert [e.action for e in history][:2] == ["case.opened", "task.completed"]
    assert history[1].actor_name == "vil11"


def test_stored_state_leaves_the_spec_out_and_stays_small(world):
    case = start(world)
    walk(world, case.id, ["approve", "return", "approve", "approve"])
    state = world.db.scalar(select(ProcessInstance.state).where(
        ProcessInstance.case_id == case.id))
    assert len(state) < 5 * 1024
    import json
    import zlib

    from engine.casework import instances
    from engine.workflow.spiff import storage
    forms = [data for _, data in instances.submitted_forms(world.db, case)]
    stored = json.loads(storage.decompress(state, case.application, forms))
    assert "spec" not in stored
    root = stored["tasks"][stored["root"]]
    assert root["data"]["head_name"] == case.application["head_name"]
    # the root data repeats the application: compressed against it, it costs little
    alone = len(zlib.compress(json.dumps(stored, ensure_ascii=False,
                                         separators=(",", ":")).encode(), 6))
    assert len(state) < alone - 300
