"""The worker survives bad instances: a case whose workflow fails after its timer is retried
with an exponential, capped backoff, counts its attempts and keeps its last error, while every
other case's timer fires in the same pass, however many broken cases there are."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.casework import cases, timers
from engine.store.models import AuditEvent, ProcessInstance
from engine.workflow import procedures
from tests.factories import LINZI, make_world, open_task, valid_application, walk

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # a Monday; calendar rows of 2026 are seeded
BROKEN_SCRIPT = """
    <bpmn:scriptTask id="broken_script" name="设计错误的脚本" scriptFormat="python">
      <bpmn:incoming>flow_village_notice</bpmn:incoming>
      <bpmn:outgoing>flow_after_broken</bpmn:outgoing>
      <bpmn:script>checked = members[len(members) + 5]["name"]</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="flow_after_broken" sourceRef="broken_script"
                       targetRef="township_merge" />
"""


def broken_bundle() -> dict[str, bytes]:
    """Linzi with a script after the village notice that fails at run time (an index past
    the household's members): valid to every check, broken for every case."""
    files = procedures.read_bundle_dir(LINZI)
    xml = files["identification.bpmn"].decode()
    flow = '<bpmn:sequenceFlow id="flow_village_notice" sourceRef="village_notice" ' \
           'targetRef="township_merge" />'
    assert flow in xml
    xml = xml.replace(flow, flow.replace('targetRef="township_merge"',
                                         'targetRef="broken_script"') + BROKEN_SCRIPT)
    merge_in = "<bpmn:incoming>flow_village_notice</bpmn:incoming>\n      <bpmn:incoming>" \
               "township_objection_recheck"
    assert merge_in in xml
    xml = xml.replace(merge_in, merge_in.replace("flow_village_notice", "flow_after_broken"))
    files["identification.bpmn"] = xml.encode()
    return files


@pytest.fixture
def world(db):
    return make_world(db, deploy=False)


def approved_case(world, at: datetime) -> int:
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=at)
    walk(world, case.id, ["approve"], at)  # the village notice (7 days) starts
    return case.id


def instance(db, case_id: int) -> ProcessInstance:
    db.expire_all()
    return db.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case_id))


def test_many_broken_cases_never_delay_a_healthy_one(world):
    procedures.deploy(world.db, None, "D1", broken_bundle())  # v1: broken
    broken = [approved_case(world, T0 + timedelta(minutes=i)) for i in range(12)]
    procedures.deploy(world.db, None, "D1", procedures.read_bundle_dir(LINZI))  # v2: fixed
    healthy = approved_case(world, T0 + timedelta(hours=2))  # due after every broken one
    versions = {cid: instance(world.db, cid).version for cid in broken}

    due = T0 + timedelta(days=8)
    result = timers.run_pass(world.db, due, limit=5)  # the broken cases fill two batches
    assert (result.fired, result.failed) == (1, 12)
    assert open_task(world.db, healthy).step == "township_review"
    assert instance(world.db, healthy).timer_attempts == 0
    for case_id in broken:
        row = instance(world.db, case_id)
        assert row.timer_attempts == 1 and row.timer_failed_at == due
        assert row.timer_error.startswith(("IndexError", "ModelError"))
        assert row.next_timer_at == due + timedelta(minutes=1)
        assert row.version == versions[case_id]  # the step itself rolled back
        assert open_task(world.db, case_id) is None
    assert world.db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "timer.fired")) == 1

    # not retried before the backoff has passed, then retried with a doubled backoff
    assert timers.run_pass(world.db, due + timedelta(seconds=59), limit=5).failed == 0
    retry = due + timedelta(minutes=1)
    assert timers.run_pass(world.db, retry, limit=5).failed == 12
    row = instance(world.db, broken[0])
    assert row.timer_attempts == 2 and row.next_timer_at == retry + timedelta(minutes=2)


def test_retried_cases_come_after_fresh_ones(world):
    procedures.deploy(world.db, None, "D1", broken_bundle())
    broken = [approved_case(world, T0 + timedelta(minutes=i)) for i in range(3)]
    procedures.deploy(world.db, None, "D1", procedures.read_bundle_dir(LINZI))
    due = T0 + timedelta(days=8)
    assert timers.run_pass(world.db, due, limit=2).failed == 3
    healthy = approved_case(world, T0 + timedelta(hours=1))
    # the broken ones are due again before the healthy one, but a batch of one takes it first
    later = due + timedelta(minutes=1)
    assert timers._due_ids(world.db, later, 1) == [healthy]
    result = timers.run_pass(world.db, later, limit=1)
    assert (result.fired, result.failed) == (1, 3)
    assert {instance(world.db, c).timer_attempts for c in broken} == {2}


def test_backoff_doubles_and_is_capped():
    assert [timers.backoff(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert timers.backoff(10) == timedelta(hours=6)
    assert timers.backoff(10_000) == timedelta(hours=6)
