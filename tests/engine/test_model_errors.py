"""A model that fails at run time is the designer's error: a clear 422, nothing stored."""

import pytest
from sqlalchemy import func, select

from engine.casework import cases, tasks
from engine.store.errors import ModelError
from engine.store.models import AuditEvent, ProcessInstance
from engine.workflow import procedures
from tests.factories import LINZI, make_world, open_task, valid_application, valid_step_data


@pytest.fixture
def world(db):
    w = make_world(db, deploy=False)
    files = procedures.read_bundle_dir(LINZI)
    xml = files["identification.bpmn"].decode()
    # a condition naming a variable no form provides: valid Python, fails when evaluated
    xml = xml.replace('decision == "approve"', 'decision == "approve" and no_such_field', 1)
    files["identification.bpmn"] = xml.encode()
    procedures.deploy(db, None, "D1", files)
    return w


def test_a_failing_condition_is_reported_and_changes_nothing(world, client):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application())
    task = open_task(world.db, case.id)
    version = world.db.scalar(select(ProcessInstance.version))
    with pytest.raises(ModelError) as err:
        tasks.complete(world.db, world.user("vil11"), task.id,
                       valid_step_data("village_evaluation"))
    assert "no_such_field" in str(err.value.fields)
    world.db.expire_all()
    assert open_task(world.db, case.id).id == task.id
    assert world.db.scalar(select(ProcessInstance.version)) == version
    assert world.db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "task.completed")) == 0

    from engine.people import accounts
    token = accounts.issue_token(world.db, world.user("vil11"))
    res = client.post(f"/api/tasks/{task.id}/complete",
                      json={"data": valid_step_data("village_evaluation")},
                      headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 422 and res.json["error"]["code"] == "model_error"
