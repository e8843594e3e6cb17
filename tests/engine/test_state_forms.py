"""A case's stored workflow state is compressed against its submitted forms as well as its
application: a form's fields are kept once, in its task row, and cost the state a few bytes."""

from __future__ import annotations

import copy
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.casework import cases, instances, tasks
from engine.store.canonical import canonical
from engine.store.models import Case, ProcessInstance
from engine.workflow.spiff import storage
from tests.factories import (
    WORKER,
    after_notice,
    make_world,
    open_task,
    valid_application,
    valid_step_data,
    walk,
)

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def world(db):
    """A Linzi case past the village evaluation and the township review, the district's
    cross-check open."""
    w = make_world(db)
    case = cases.start(db, w.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=T0)
    w.at = walk(w, case.id, ["approve", "approve"], T0)
    w.case_id = case.id
    return w


def stored(db, case_id: int) -> tuple[Case, bytes, list[dict]]:
    db.expire_all()
    case = db.get(Case, case_id)
    state = db.scalar(select(ProcessInstance.state).where(ProcessInstance.case_id == case_id))
    return case, bytes(state), [data for _, data in instances.submitted_forms(db, case)]


def test_the_state_is_compressed_against_the_forms_and_refuses_a_changed_one(world):
    case, blob, forms = stored(world.db, world.case_id)
    assert [sorted(f) for f in forms] == [
        sorted(valid_step_data("village_evaluation")), sorted(valid_step_data("township_review"))]
    with pytest.raises(zlib.error):  # the application alone is not its dictionary
        storage.decompress(blob, case.application)
    text = storage.decompress(blob, case.application, forms)
    alone = storage.compress(text, case.application)
    form_bytes = sum(len(canonical(f).encode()) for f in forms)
    # most of the forms' own compressed size is gone from the state
    assert len(blob) < len(alone) - len(zlib.compress(canonical(forms).encode(), 9)) // 2, \
        (len(blob), len(alone), form_bytes)
    changed = copy.deepcopy(forms)
    changed[0]["minutes"] = changed[0]["minutes"] + "（改）"
    with pytest.raises(zlib.error):
        storage.decompress(blob, case.application, changed)


def test_a_state_stored_against_the_application_alone_loads_and_moves_on(world):
    db = world.db
    case, blob, forms = stored(db, world.case_id)
    text = storage.decompress(blob, case.application, forms)
    instance = db.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    instance.state = storage.compress(text, case.application)  # as stored before
    db.commit()
    at = after_notice(db, world.at)  # the township's notice runs out: a timer's move
    task = open_task(db, case.id)
    assert task.step == "district_crosscheck"
    tasks.complete(db, world.user(WORKER[task.step]), task.id,
                   valid_step_data(task.form_key), now=at + timedelta(hours=1))
    case, blob, forms = stored(db, case.id)
    assert len(forms) == 3
    with pytest.raises(zlib.error):
        storage.decompress(blob, case.application)
    text = storage.decompress(blob, case.application, forms).decode()
    assert all(f'"{key}"' in text for key in valid_step_data("district_crosscheck"))
    assert open_task(db, case.id).step == "third_party_verification"


def test_the_dictionary_is_the_same_however_the_database_gave_the_numbers_back():
    application = valid_application()
    as_submitted = [{"per_capita_income": 2826.0, "votes": 1e16, "note": "无"}]
    as_read_back = [{"note": "无", "votes": 10000000000000000, "per_capita_income": 2826}]
    assert storage.dictionary(application, as_submitted) == \
        storage.dictionary(application, as_read_back)
    assert storage.dictionary(application, []) == storage.dictionary(application)
