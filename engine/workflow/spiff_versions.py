"""The SpiffWorkflow side of comparing and migrating procedure versions.

The sibling of engine/workflow/spiff/: everything engine/workflow/versions.py needs that knows
SpiffWorkflow's API (task specs, task states, the spec and workflow diffs and the
serializer's converter registry) lives here, so engine/workflow/versions.py speaks of steps,
versions and cases.
"""

from __future__ import annotations

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow

from engine.workflow import bridge, spiff

# Serialized task-spec attributes that may differ on an open or waiting task: they only say
# where the case goes next, and the tasks after it are predicted anew on migration.
STRUCTURAL = frozenset({"inputs", "outputs", "cond_task_specs", "default_task_spec",
                        "documentation", "lookahead"})
ATTRIBUTE_NAMES = {"bpmn_name": "名称", "lane": "层级（泳道）", "extensions": "表单或办理时限",
                   "typename": "类型", "event_definition": "事件（公示期限或异议）",
                   "manual": "办理方式"}
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


# ---------------------------------------------------------------- comparing versions


def _task_spec(model: spiff.ProcessModel, bpmn_id: str):
    for spec in (model.spec, *(s for s in model.subprocess_specs.values() if s)):
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) == bpmn_id:
                return task_spec
    return None


def next_steps(model: spiff.ProcessModel, step_id: str) -> tuple[str, ...]:
    """The steps and end events a step can lead to, through gateways and other elements."""
    start = _task_spec(model, step_id)
    if start is None:
        return ()
    found: set[str] = set()
    seen = {start.name}
    todo = list(start.outputs)
    while todo:
        spec = todo.pop()
        if spec.name in seen:
            continue
        seen.add(spec.name)
        bpmn_id = getattr(spec, "bpmn_id", None)
        if bpmn_id and (bpmn_id in model.steps or isinstance(spec, EndEvent)):
            found.add(bpmn_id)
        else:
            todo.extend(spec.outputs)
    return tuple(sorted(found))


def element_changes(old: spiff.ProcessModel, new: spiff.ProcessModel) -> dict[str, str]:
    """The BPMN elements other than steps (gateways, events, end events) SpiffWorkflow's
    spec diff saw added, removed or changed: {bpmn id: "added" | "removed" | "changed"},
    sorted by id."""
    elements: dict[str, str] = {}
    spec_diff = SpecDiff(spiff.REGISTRY, old.spec, new.spec)
    steps = old.steps.keys() | new.steps.keys()
    for spec in spec_diff.added:
        if getattr(spec, "bpmn_id", None) and spec.bpmn_id not in steps:
            elements[spec.bpmn_id] = "added"
    for spec in spec_diff.removed:
        if getattr(spec, "bpmn_id", None) and spec.bpmn_id not in steps:
            elements[spec.bpmn_id] = "removed"
    for spec in spec_diff.changed:
        if getattr(spec, "bpmn_id", None) and spec.bpmn_id not in steps:
            elements.setdefault(spec.bpmn_id, "changed")
    return dict(sorted(elements.items()))


# ---------------------------------------------------------------- migrating a case


def _label(task_spec) -> str:
    name = getattr(task_spec, "bpmn_name", None)
    bpmn_id = getattr(task_spec, "bpmn_id", None) or task_spec.name
    return f"“{name}”（{bpmn_id}）" if name else bpmn_id


def _problems(wf_diff) -> list[str]:
    """Why this (sub)workflow may not move to the new spec; empty when it may."""
    problems = []
    for task in wf_diff.removed:
        if task.has_state(ACTIVE):
            problems.append(f"当前步骤{_label(task.task_spec)}在新版本中已删除")
        elif task.has_state(TaskState.FINISHED_MASK):
            problems.append(f"已办步骤{_label(task.task_spec)}在新版本中已删除，办理记录无法对应")
    for task in wf_diff.changed:
        if task.has_state(ACTIVE):
            converted = spiff.REGISTRY.convert
            new_spec = wf_diff.alignment.get(task)
            old, new = converted(task.task_spec), converted(new_spec) if new_spec else {}
            keys = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
            if keys - STRUCTURAL:
                what = sorted({ATTRIBUTE_NAMES.get(k, k) for k in keys - STRUCTURAL})
                problems.append(f"当前步骤{_label(task.task_spec)}在新版本中已修改"
                                f"（{'、'.join(what)}），不能在办理中途更换")
    return list(dict.fromkeys(problems))


def move(wf, new_model: spiff.ProcessModel,
         context: bridge.StepContext | None = None) -> list[str]:
    """Move the workflow onto the new model's spec if safe; else the reasons, untouched.
    SpiffWorkflow's migration runs with the step's context (engine/workflow/bridge.py)."""
    try:
        top, subs = diff_workflow(spiff.REGISTRY, wf, new_model.spec,
                                  new_model.subprocess_specs)
    except KeyError as exc:  # a task whose spec the alignment cannot place
        return [f"流程结构无法对应（{exc}）"]
    problems = _problems(top)
    for sp_id, sp_diff in subs.items():
        if sp_diff is None:
            problems.append(f"子流程 {wf.subprocesses[sp_id].spec.name} 在新版本中已删除")
        else:
            problems.extend(_problems(sp_diff))
    if problems:
        return problems
    waiting = {t.id: dict(t.internal_data) for t in wf.get_tasks(state=TaskState.WAITING)}
    with bridge.calling(context):
        migrate_workflow(top, wf, new_model.spec)
        for sp_id, sp in wf.subprocesses.items():
            migrate_workflow(subs[sp_id], sp, new_model.subprocess_specs.get(sp.spec.name))
    wf.subprocess_specs = new_model.subprocess_specs
    for task_id, data in waiting.items():  # a notice keeps its period, a timer its due time
        task = wf.get_task_from_id(task_id)
        if task is not None and task.state == TaskState.WAITING:
            task.internal_data = data
    return []


def restorable(wf, model: spiff.ProcessModel) -> bool:
    """Whether the workflow's stored state can be restored against the model's spec."""
    try:
        spiff.load(spiff.dump(wf), model)
    except (KeyError, ValueError, TypeError, AttributeError):
        return False
    return True
