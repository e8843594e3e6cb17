"""Procedure versions: running cases keep theirs, diffs name what changed, safe migration."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.casework import cases, migration, tasks
from engine.store.errors import Conflict, Forbidden
from engine.store.models import AuditEvent, Case, HumanTask, ProcessInstance
from engine.time import clock
from engine.workflow import procedures, versions
from tests.engine.bundles import linzi_edited
from tests.factories import (
    PASSWORD,
    after_notice,
    make_world,
    open_task,
    valid_application,
    valid_step_data,
    walk,
)

KEY = "linzi_identification"
V1_REVIEW, V2_REVIEW = "镇（街道）审核确认", "镇（街道）调查审核"
PRECHECK = """<bpmn:userTask id="district_precheck" name="区级预审">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="district_crosscheck" />
          <spiffworkflow:property name="dueWorkingDays" value="2" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>crosscheck_approve</bpmn:incoming>
      <bpmn:outgoing>flow_district_precheck</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="flow_district_precheck" sourceRef="district_precheck"
                       targetRef="third_party_verification" />
    <bpmn:endEvent id="approved\""""


def v2_files() -> dict[str, bytes]:
    """Linzi with township review renamed and a district pre-check after the cross-check."""
    return linzi_edited({
        f'<bpmn:userTask id="township_review" name="{V1_REVIEW}">':
            f'<bpmn:userTask id="township_review" name="{V2_REVIEW}">',
        "<bpmn:flowNodeRef>district_crosscheck</bpmn:flowNodeRef>":
            "<bpmn:flowNodeRef>district_crosscheck</bpmn:flowNodeRef>\n"
            "        <bpmn:flowNodeRef>district_precheck</bpmn:flowNodeRef>",
        'sourceRef="crosscheck_decision" targetRef="third_party_verification"':
            'sourceRef="crosscheck_decision" targetRef="district_precheck"',
        "<bpmn:incoming>crosscheck_approve</bpmn:incoming>\n"
        "      <bpmn:outgoing>flow_third_party_verification":
            "<bpmn:incoming>flow_district_precheck</bpmn:incoming>\n"
            "      <bpmn:outgoing>flow_third_party_verification",
        '<bpmn:endEvent id="approved"': PRECHECK,
    })


def without_village_evaluation() -> dict[str, bytes]:
    """Linzi whose village evaluation step is gone: the merge leads straight to the decision."""
    files = linzi_edited({
        "<bpmn:flowNodeRef>village_evaluation</bpmn:flowNodeRef>": "",
        'sourceRef="village_merge" targetRef="village_evaluation"':
            'sourceRef="village_merge" targetRef="village_decision"',
        '<bpmn:sequenceFlow id="flow_village_evaluation" sourceRef="village_evaluation" '
        'targetRef="village_decision" />': "",
        "<bpmn:incoming>flow_village_evaluation</bpmn:incoming>":
            "<bpmn:incoming>flow_village_merge</bpmn:incoming>",
    })
    xml = files["identification.bpmn"].decode()
    start = xml.index('<bpmn:userTask id="village_evaluation"')
    end = xml.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    files["identification.bpmn"] = (xml[:start] + xml[end:]).encode()
    return files


@pytest.fixture
def world(db):
    return make_world(db)  # deploys Linzi as version 1


def start(world, at=None) -> Case:
    return cases.start(world.db, world.user("clerk1"), KEY, "V11", valid_application(),
                       now=at or clock.now())


def deploy(world, files) -> int:
    version = next(v for v in procedures.deploy(world.db, world.user("designer"), "D1", files)
                   if v.key == "linzi_identification")
    return version.id


def state_of(db, case_id):
    instance = db.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case_id))
    return instance.state, instance.version


def migrated_events(db, case_id):
    return db.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                               AuditEvent.action == "case.migrated")).all()


def work(world, case_id, username, decision="approve", at=None):
    task = open_task(world.db, case_id)
    return tasks.complete(world.db, world.user(username), task.id,
                          valid_step_data(task.form_key, decision), now=at or clock.now())


def test_running_cases_keep_their_version_and_new_cases_take_the_newest(world):
    db = world.db
    a = start(world)
    v1 = a.procedure_version_id
    v2 = deploy(world, v2_files())
    b = start(world)
    assert (a.procedure_version_id, b.procedure_version_id) == (v1, v2)
    procedures.forget_cached()  # a fresh process: each case is restored from its own sources
    at = walk(world, a.id, ["approve"])
    walk(world, b.id, ["approve"], at)
    after_notice(db, at + timedelta(hours=2))
    assert open_task(db, a.id).name == V1_REVIEW
    assert open_task(db, b.id).name == V2_REVIEW
    assert db.get(Case, a.id).procedure_version_id == v1


def test_diff_lists_an_added_and_a_renamed_step(world):
    deploy(world, v2_files())
    diff = versions.compare(world.db, world.user("dist"), KEY, "D1", 1, 2)
    assert [s.id for s in diff.added] == ["district_precheck"]
    assert diff.removed == []
    changed = {c.id: c.fields for c in diff.changed}
    assert changed["township_review"] == {"name": (V1_REVIEW, V2_REVIEW)}
    old_next, new_next = changed["district_crosscheck"]["next"]
    assert set(new_next) - set(old_next) == {"district_precheck"}
    assert set(old_next) - set(new_next) == {"third_party_verification"}
    assert "village_evaluation" not in changed
    assert diff.elements.get("crosscheck_decision") == "changed"
    entries = versions.history(world.db, KEY, "D1", world.user("designer"))
    assert [(e.version.version, e.changes and e.changes.from_version) for e in entries] == [
        (2, 1), (1, None)]


def test_reading_versions_is_for_designers_admins_and_district(world):
    with pytest.raises(Forbidden):
        versions.history(world.db, KEY, "D1", world.user("town1"))
    with pytest.raises(Forbidden):
        versions.compare(world.db, world.user("vil11"), KEY, "D1", 1, 1)


def test_a_case_waiting_at_an_unchanged_step_migrates_and_reaches_the_new_step(world):
    db = world.db
    case = start(world)
    v1 = case.procedure_version_id
    row = open_task(db, case.id)
    v2 = deploy(world, v2_files())
    procedures.forget_cached()
    migrated = migration.migrate(db, world.user("designer"), case.id)
    assert migrated.procedure_version_id == v2
    assert open_task(db, case.id).id == row.id  # the open row is still the live task
    event, = migrated_events(db, case.id)
    assert event.changes["from_version"] == 1 and event.changes["to_version"] == 2
    assert event.changes["from_version_id"] == v1
    at = walk(world, case.id, ["approve", "approve"])  # village, notice, township (renamed)
    assert db.scalars(select(HumanTask.name).where(
        HumanTask.case_id == case.id, HumanTask.step == "township_review")).one() == V2_REVIEW
    at = after_notice(db, at)
    work(world, case.id, "dist", at=at + timedelta(hours=1))  # cross-check, then the new step
    task = open_task(db, case.id)
    assert (task.step, task.name, task.level) == ("district_precheck", "区级预审", "district")
    work(world, case.id, "dist", at=at + timedelta(hours=2))
    assert open_task(db, case.id).step == "third_party_verification"


def test_a_case_in_a_notice_keeps_its_notice_period_when_migrated(world):
    db = world.db
    case = start(world)
    walk(world, case.id, ["approve"])
    ends = db.get(ProcessInstance, case.id).next_timer_at
    deploy(world, v2_files())
    migration.migrate(db, world.user("admin"), case.id, now=clock.now() + timedelta(days=2))
    assert db.get(ProcessInstance, case.id).next_timer_at == ends


def test_a_case_whose_current_step_was_removed_is_not_migrated(world):
    db = world.db
    case = start(world)
    v1 = case.procedure_version_id
    before = state_of(db, case.id)
    deploy(world, without_village_evaluation())
    with pytest.raises(Conflict) as err:
        migration.migrate(db, world.user("designer"), case.id)
    assert "当前步骤“村级评议推荐”（village_evaluation）在新版本中已删除" in str(err.value)
    db.expire_all()
    assert db.get(Case, case.id).procedure_version_id == v1
    assert state_of(db, case.id) == before
    assert migrated_events(db, case.id) == []
    assert open_task(db, case.id).step == "village_evaluation"


def test_a_case_at_a_step_renamed_or_after_a_removed_step_is_not_migrated(world):
    db = world.db
    at_review = start(world)
    walk(world, at_review.id, ["approve"])
    after_notice(db, clock.now())
    assert open_task(db, at_review.id).step == "township_review"
    deploy(world, v2_files())
    with pytest.raises(Conflict, match="township_review.*已修改（名称）"):
        migration.migrate(db, world.user("designer"), at_review.id)
    assert migrated_events(db, at_review.id) == []


def test_a_step_finished_before_the_current_lap_does_not_block_migration(world):
    """Stored state keeps only what can still run (finished laps are in task rows and the
    audit trail), so removing a step the case has already left behind is safe."""
    db = world.db
    at_review = start(world)
    walk(world, at_review.id, ["approve"])
    after_notice(db, clock.now())
    deploy(world, without_village_evaluation())
    before = at_review.procedure_version_id
    case = migration.migrate(db, world.user("designer"), at_review.id)
    newest = procedures.newest_in_region(db, "linzi_identification", "D1")
    assert case.procedure_version_id == newest.id != before
    assert len(migrated_events(db, at_review.id)) == 1
    assert open_task(db, at_review.id).step == "township_review"


def test_migrating_is_for_designers_and_admins_and_only_forward(world):
    case = start(world)
    with pytest.raises(Forbidden):
        migration.migrate(world.db, world.user("dist"), case.id)
    with pytest.raises(Conflict, match="最新版本"):
        migration.migrate(world.db, world.user("designer"), case.id)


# ---------------------------------------------------------------- API


@pytest.fixture
def tokens(client, world):
    out = {}
    for username in ("designer", "dist", "vil11"):
        res = client.post("/api/tokens", json={"username": username, "password": PASSWORD})
        out[username] = {"Authorization": f"Bearer {res.json['token']}"}
    return out


def test_api_lists_versions_with_changes(client, world, tokens):
    deploy(world, v2_files())
    res = client.get(f"/api/procedures/{KEY}/versions?region=D1", headers=tokens["dist"])
    assert res.status_code == 200, res.json
    newest, first = res.json
    assert (newest["version"], first["version"], first["changes"]) == (2, 1, None)
    assert [s["id"] for s in newest["changes"]["added"]] == ["district_precheck"]
    renamed = {c["id"]: c["fields"] for c in newest["changes"]["changed"]}["township_review"]
    assert renamed == {"name": {"from": V1_REVIEW, "to": V2_REVIEW}}
    res = client.get(f"/api/procedures/{KEY}/diff?region=D1&from=1&to=2",
                     headers=tokens["designer"])
    assert res.status_code == 200 and res.json["to_version"] == 2
    res = client.get(f"/api/procedures/{KEY}/versions?region=D1", headers=tokens["vil11"])
    assert res.status_code == 403


def test_api_migrates_a_case_or_says_why_not(client, world, tokens):
    safe, stuck = start(world), start(world)
    deploy(world, v2_files())
    res = client.post(f"/api/cases/{safe.id}/migrate", headers=tokens["designer"])
    assert res.status_code == 200, res.json
    assert (res.json["id"], res.json["version"]) == (safe.id, 2)
    assert client.post(f"/api/cases/{stuck.id}/migrate",
                       headers=tokens["vil11"]).status_code == 403
    deploy(world, without_village_evaluation())
    res = client.post(f"/api/cases/{stuck.id}/migrate", headers=tokens["designer"])
    assert res.status_code == 409
    assert "village_evaluation" in res.json["error"]["message"]
