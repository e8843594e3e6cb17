"""The storage migration's data steps on states stored before: recompressed against their
case's application, smaller, and loading to the same workflow."""

from __future__ import annotations

import json
import zlib

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select

from engine.casework import instances
from engine.store.models import Case, ProcedureVersion, ProcessInstance
from engine.workflow import procedures, spiff
from engine.workflow.spiff import storage
from tests.engine.test_audit_chain import _migration, world  # noqa: F401
from tests.engine.test_audit_forms_once import load_migration


def states(db) -> dict[int, bytes]:
    return {i.case_id: bytes(i.state) for i in db.scalars(select(ProcessInstance))}


def test_old_states_are_recompressed_and_load_the_same(world):  # noqa: F811
    db = world.db
    cases = {c.id: c for c in db.scalars(select(Case))}
    forms = {i: [data for _, data in instances.submitted_forms(db, c)] for i, c in cases.items()}
    for instance in db.scalars(select(ProcessInstance)):  # as stored before: no dictionary
        instance.state = zlib.compress(storage.decompress(
            bytes(instance.state), cases[instance.case_id].application,
            forms[instance.case_id]), 6)
    db.commit()
    old = states(db)
    assert all(not blob[1] & 0x20 for blob in old.values())
    keyed = _migration("*_instances_keyed_by_case.py")
    with Operations.context(MigrationContext.configure(db.connection())):
        keyed.downgrade()  # instances had an id of their own when this step was written
        load_migration()._recompress_states()
        keyed.upgrade()
    db.commit()
    db.expire_all()
    after = states(db)
    for case_id, blob in after.items():
        application = cases[case_id].application
        assert blob[1] & 0x20 and len(blob) < len(old[case_id]) - 300
        # against the application alone (the engine adds the forms when it next saves)
        assert storage.decompress(blob, application) == zlib.decompress(old[case_id])
        version = db.get(ProcedureVersion, cases[case_id].procedure_version_id)
        wf = spiff.load(blob, procedures.model_of(version), application)
        assert [t.task_spec.name for t in spiff.ready_user_tasks(wf)] == \
            [t.task_spec.name for t in spiff.ready_user_tasks(
                spiff.load(old[case_id], procedures.model_of(version)))]


def test_a_state_needs_its_own_application(world):  # noqa: F811
    db = world.db
    instance = db.scalars(select(ProcessInstance)).first()
    application = db.get(Case, instance.case_id).application
    version = db.get(ProcedureVersion, db.get(Case, instance.case_id).procedure_version_id)
    model = procedures.model_of(version)
    forms = [data for _, data in instances.submitted_forms(db, db.get(Case, instance.case_id))]
    with pytest.raises(ValueError, match="application"):
        spiff.load(bytes(instance.state), model)
    other = json.loads(json.dumps(application))
    other["head_name"] = "别人"
    with pytest.raises(zlib.error):
        storage.decompress(bytes(instance.state), other, forms)
