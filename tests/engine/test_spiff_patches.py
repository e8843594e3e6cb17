"""Each place where the engine reaches into SpiffWorkflow's internals, checked twice: (a) the
library still has exactly what is patched, so an upgrade that moves it fails here by name
rather than silently in a running case; (b) the patched behaviour still works.

The patches: the timer module's `datetime` (engine/workflow/bridge.py), `DMNEngine` swapped for
`StrictDMNEngine` by `__class__`, `Task._children` / `Task._parent` rewired by
`_prune_history`, and `_LeanWorkflowConverter`, a re-implementation of the library's
workflow converter (engine/workflow/spiff/storage.py).
"""

from __future__ import annotations

import inspect
import json
import zlib
from datetime import UTC, datetime
from importlib.metadata import version
from types import SimpleNamespace
from uuid import UUID

import pytest
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask
from SpiffWorkflow.task import Task

from engine.store.errors import ModelError
from engine.time import clock
from engine.workflow import bridge, spiff
from engine.workflow.spiff import decisions, parsing, storage

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
"""
# A user task that may be sent back to itself (laps of history), then a one-day timer.
LOOP = HEAD + """  <bpmn:process id="loop" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:userTask id="work"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>again</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="done"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>done</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="again" sourceRef="gw" targetRef="work">
      <bpmn:conditionExpression>redo == True</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="done" sourceRef="gw" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>done</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
# A business-rule task over a UNIQUE table whose only rule needs size > 2.
RULED = HEAD + """  <bpmn:process id="ruled" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="rule" />
    <bpmn:businessRuleTask id="rule"><bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>big</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f2" sourceRef="rule" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d"
    namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="big" name="Big">
    <decisionTable id="big_table" hitPolicy="UNIQUE">
      <input id="in_size" label="size">
        <inputExpression id="e_size" typeRef="integer"><text>size</text></inputExpression>
      </input>
      <output id="out_big" name="big" typeRef="boolean" />
      <rule id="r1"><inputEntry id="i1"><text>&gt; 2</text></inputEntry>
        <outputEntry id="o1"><text>True</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""
T0 = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)  # far from any real "now"


def parser_with(bpmn: str, dmn: str | None = None) -> SpiffBpmnParser:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(bpmn.encode())
    if dmn:
        parser.add_dmn_str(dmn.encode())
    return parser


def started(model) -> BpmnWorkflow:
    wf = BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=spiff.SCRIPT_ENGINE)
    wf.do_engine_steps()
    return wf


def do_work(wf: BpmnWorkflow, **data) -> None:
    (task,) = spiff.ready_user_tasks(wf)
    assert spiff.complete(wf, str(task.id), data)


def test_the_exact_spiffworkflow_release_is_installed():
    """Everything below was checked against 3.2.0; pyproject pins it exactly."""
    assert version("SpiffWorkflow") == "3.2.0"


# -------------------------------------------------------- timer clock (engine/workflow/bridge.py)


def test_the_timer_module_still_reads_now_from_its_own_datetime_name():
    source = inspect.getsource(spiff_timer)
    assert "from datetime import datetime, timedelta, timezone" in source
    assert "datetime.now(timezone.utc)" in inspect.getsource(
        spiff_timer.TimerEventDefinition.get_timedelta_from_start)
    assert list(inspect.signature(
        spiff_timer.TimerEventDefinition.get_timedelta_from_start).parameters) == [
        "parsed_duration", "start"]
    assert spiff_timer.datetime is bridge.SpiffDatetime  # the swap took
    assert issubclass(bridge.SpiffDatetime, datetime)


def test_a_duration_timer_counts_from_the_frozen_clock_and_fires_only_once_due(loop_model):
    with clock.frozen(T0):
        wf = started(loop_model)
        do_work(wf, redo=False)
        wf.do_engine_steps()
        assert spiff.waits(wf).next_timer_at == datetime(2031, 3, 5, 5, 6, 7, tzinfo=UTC)
    with clock.frozen(datetime(2031, 3, 5, 5, 6, 6, tzinfo=UTC)):
        spiff.fire_timers(wf)
        assert not wf.is_completed()
    with clock.frozen(datetime(2031, 3, 5, 5, 6, 8, tzinfo=UTC)):
        spiff.fire_timers(wf)
        assert wf.is_completed()


def test_inside_a_step_the_timer_module_reads_the_step_instant_not_the_clock(loop_model):
    """A case's step passes its instant in its context (engine/workflow/bridge.py); the engine
    clock (the suite's, in 2026) plays no part."""
    def step(at: datetime) -> bridge.StepContext:
        return bridge.StepContext(db=None, now=at)

    wf = started(loop_model)
    (task,) = spiff.ready_user_tasks(wf)
    assert spiff.complete(wf, str(task.id), {"redo": False}, step(T0))
    assert spiff.waits(wf).next_timer_at == datetime(2031, 3, 5, 5, 6, 7, tzinfo=UTC)
    spiff.fire_timers(wf, step(datetime(2031, 3, 5, 5, 6, 6, tzinfo=UTC)))
    assert not wf.is_completed()
    spiff.fire_timers(wf, step(datetime(2031, 3, 5, 5, 6, 8, tzinfo=UTC)))
    assert wf.is_completed()
    assert bridge.context() is None  # the context lasts as long as the call, no longer


def test_outside_a_frozen_block_the_timer_module_follows_the_engine_clock(monkeypatch):
    before = clock.now()  # the suite's moved clock (tests/conftest.py: clock.starting_at)
    seen = spiff_timer.datetime.now(UTC)
    assert before <= seen <= clock.now()
    monkeypatch.setattr(clock, "_origin", None)  # no moved clock: the real one, as in production
    before = datetime.now(UTC)
    seen = spiff_timer.datetime.now(UTC)
    assert before <= seen <= datetime.now(UTC)


# ---------------------------------------------------------------- StrictDMNEngine


def test_dmn_engine_still_has_what_strict_dmn_engine_overrides_and_replaces():
    assert list(inspect.signature(DMNEngine.__init__).parameters) == ["self", "decision_table"]
    assert list(inspect.signature(DMNEngine.result).parameters) == ["self", "task"]
    assert list(inspect.signature(DMNEngine.decide).parameters) == ["self", "task"]
    assert not hasattr(DMNEngine, "__slots__")  # `__class__` assignment needs a plain object
    assert HitPolicy.UNIQUE.value == "UNIQUE"
    # The parser builds plain DMNEngines, and business-rule tasks hold theirs as `dmnEngine`.
    assert "return DMNEngine(" in inspect.getsource(BpmnDmnParser.get_engine)
    assert "dmnEngine" in inspect.signature(BusinessRuleTask.__init__).parameters
    engine = parser_with(RULED, DMN).get_engine("big", None)
    assert type(engine) is DMNEngine
    assert engine.decision_table.hit_policy == "UNIQUE"


def test_a_decision_that_matches_no_rule_is_an_error_not_an_empty_result():
    engines = parsing._decision_engines(parser_with(RULED, DMN))
    assert type(engines["big"]) is spiff.StrictDMNEngine
    model = SimpleNamespace(decisions=engines)
    assert spiff.decide(model, ["big"], {"size": 3}) == {"size": 3, "big": True}
    with pytest.raises(ModelError, match="big"):
        spiff.decide(model, ["big"], {"size": 2})
    assert DMNEngine(engines["big"].decision_table).result(
        decisions._Facts("big", {"size": 2})) == {}  # what the library alone would have said


def test_a_business_rule_task_whose_table_matches_nothing_stops_the_workflow():
    parser = parser_with(RULED, DMN)
    spec, subs = parser.get_spec("ruled"), parser.get_subprocess_specs("ruled")
    model = parsing._model_from_spec("ruled", spec, subs, {}, [])
    assert type(spec.task_specs["rule"].dmnEngine) is spiff.StrictDMNEngine
    assert spiff.start(model, {"size": 5}).is_completed()
    with pytest.raises(ModelError, match="没有与输入匹配的规则"):
        spiff.start(model, {"size": 1})


# ---------------------------------------------------------------- history pruning


def test_tasks_still_link_by_the_private_ids_that_pruning_rewrites(loop_model):
    wf = started(loop_model)
    task = wf.get_next_task(state=TaskState.READY, manual=True)
    assert isinstance(task._parent, UUID) and wf.tasks[task._parent] is task.parent
    parent = task.parent
    assert parent._children == [c.id for c in parent.children] and task.id in parent._children
    assert isinstance(inspect.getattr_static(Task, "parent"), property)
    assert isinstance(inspect.getattr_static(Task, "children"), property)
    assert wf.task_tree.parent is None and wf.task_tree.id in wf.tasks


def test_pruned_history_restores_keeps_its_data_and_runs_to_the_end(loop_model):
    wf = started(loop_model)
    for lap in range(6):
        do_work(wf, redo=True, lap=lap)
    laps_before = len(wf.tasks)
    blob = spiff.dump(wf)  # prunes
    assert len(wf.tasks) < laps_before
    root = wf.task_tree
    (keep,) = root.children
    assert (root._children, keep._parent) == ([keep.id], root.id)
    for task in wf.tasks.values():  # every kept task still reaches the root
        while task.parent is not None:
            task = task.parent
        assert task is root

    again = spiff.load(blob, loop_model)
    assert len(again.tasks) == len(wf.tasks)
    (ready,) = spiff.ready_user_tasks(again)
    assert ready.data["lap"] == 5
    for _ in range(20):  # pruning keeps the stored tree from growing lap after lap
        do_work(again, redo=True)
        again = spiff.load(spiff.dump(again), loop_model)
    assert len(again.tasks) == len(wf.tasks)
    do_work(again, redo=False)
    with clock.frozen(T0):
        again.do_engine_steps()
    again = spiff.load(spiff.dump(again), loop_model)
    with clock.frozen(datetime(2031, 3, 6, tzinfo=UTC)):
        spiff.fire_timers(again)
    assert again.is_completed() and again.last_task.data["lap"] == 5


# ---------------------------------------------------------------- the lean converter


def test_the_library_converter_still_has_what_the_lean_one_reuses():
    library = BpmnWorkflowSerializer.configure(DEFAULT_CONFIG)
    assert library.typenames[BpmnWorkflow] == "BpmnWorkflow"
    assert type(library.convert_to_dict["BpmnWorkflow"].args[1].__self__) \
        is BpmnWorkflowConverter
    for name in ("mapping_to_dict", "mapping_from_dict", "set_default_attributes",
                 "subprocesses_from_dict"):
        assert callable(getattr(BpmnWorkflowConverter, name)), name
    assert "deserializing" in inspect.getsource(BpmnWorkflowConverter.from_dict)
    lean = spiff.REGISTRY.convert_to_dict["BpmnWorkflow"].args[1].__self__
    assert isinstance(lean, storage._LeanWorkflowConverter)
    assert spiff.REGISTRY.convert_from_dict["BpmnWorkflow"].args[0].__self__ is lean


def test_the_lean_converter_stores_all_the_library_does_except_the_spec(loop_model):
    wf = started(loop_model)
    do_work(wf, redo=True, lap=0)
    library = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    full, lean = library.to_dict(wf), storage._SERIALIZER.to_dict(wf)
    assert set(full) - set(lean) == {"spec", "subprocess_specs"}
    assert set(lean) <= set(full)
    assert {k: v for k, v in full.items() if k in lean} == lean


def test_the_lean_converter_round_trips_tasks_states_and_data(loop_model):
    wf = started(loop_model)
    do_work(wf, redo=True, lap=0)
    blob = spiff.dump(wf)
    stored = json.loads(zlib.decompress(blob))
    assert "spec" not in stored and stored["typename"] == "BpmnWorkflow"
    again = spiff.load(blob, loop_model)
    assert again.spec is loop_model.spec
    assert {t.id: (t.task_spec.name, t.state, t.data) for t in again.tasks.values()} == {
        t.id: (t.task_spec.name, t.state, t.data) for t in wf.tasks.values()}
    assert spiff.dump(again) == blob
