"""Task ids numbered under one random base per workflow (engine/workflow/spiff/ids.py): unique,
kept across loads, and cheaper to store than random ones."""

from __future__ import annotations

import json
import re
import uuid
import zlib

from engine.workflow import spiff
from engine.workflow.spiff import ids, storage
from tests.engine.test_spiff_patches import do_work, started

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _base(task_id: uuid.UUID) -> int:
    return task_id.int >> 48


def test_a_started_workflow_numbers_all_its_tasks_under_one_base(loop_model):
    wf = spiff.start(loop_model, {"size": 1})
    assert len({_base(t) for t in wf.tasks}) == 1
    assert sorted(t.int & 0xFFFF_FFFF_FFFF for t in wf.tasks) == list(
        range(1, len(wf.tasks) + 1))
    other = spiff.start(loop_model, {"size": 1})
    assert {_base(t) for t in other.tasks}.isdisjoint({_base(t) for t in wf.tasks})


def test_a_reloaded_workflow_goes_on_counting_and_never_repeats_an_id(loop_model):
    wf = spiff.start(loop_model, {"size": 1})
    seen = set(wf.tasks)
    stored = json.loads(zlib.decompress(spiff.dump(wf)))
    base_hex, next_number = stored["task_ids"]
    assert next_number > 1 and len(base_hex) == 20
    for lap in range(4):
        wf = spiff.load(spiff.dump(wf), loop_model)
        do_work(wf, redo=True, lap=lap)
        new = set(wf.tasks) - seen
        assert new, "each lap creates tasks"
        assert all(_base(t) == int(base_hex, 16) for t in new)
        assert all(t.int & 0xFFFF_FFFF_FFFF >= next_number for t in new)
        next_number = json.loads(zlib.decompress(spiff.dump(wf)))["task_ids"][1]
        seen |= set(wf.tasks)


def test_a_state_stored_without_numbering_loads_unchanged_and_numbers_its_next_tasks(
        loop_model):
    wf = started(loop_model)  # a bare SpiffWorkflow workflow: random ids, no numbering
    blob = spiff.dump(wf)
    assert "task_ids" not in json.loads(zlib.decompress(blob))
    again = spiff.load(blob, loop_model)
    assert spiff.dump(again) == blob, "loading and storing alone changes nothing"
    before = set(again.tasks)
    do_work(again, redo=True, lap=0)
    new = set(again.tasks) - before
    assert new and ids.of(again).base is not None
    assert {_base(t) for t in new} == {ids.of(again).base >> 48}
    assert json.loads(zlib.decompress(spiff.dump(again)))["task_ids"][1] == len(new) + 1


def test_numbered_ids_store_smaller_than_random_ones(loop_model):
    wf = spiff.start(loop_model, {"size": 1})
    for lap in range(3):
        do_work(wf, redo=lap < 2, lap=lap)
    text = zlib.decompress(spiff.dump(wf)).decode()
    fresh: dict[str, str] = {}
    randomised = _UUID.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), text)
    assert len(fresh) >= 4
    numbered = len(zlib.compress(text.encode(), 6))
    random_ids = len(zlib.compress(randomised.encode(), 6))
    assert numbered < random_ids - 8 * len(fresh) // 2, (numbered, random_ids)


def test_the_hook_leaves_bare_workflows_to_spiffworkflow(loop_model):
    wf = started(loop_model)
    assert ids.of(wf) is None
    assert all(t.id.version == 4 for t in wf.tasks.values())
    assert storage.load(storage.dump(wf), loop_model).tasks.keys() == wf.tasks.keys()
