"""The SpiffWorkflow adapter: parse bundles, cache specs, run steps, store lean state.

Everything that knows SpiffWorkflow's API lives here or in its few siblings (spiff_versions.py:
diff and migration; sandbox.py and operations.py: the script engine, which runs designer text
in interpreter.py, never in Python; clock.py: the timer clock), so the rest of the engine
speaks of steps, levels and forms. Stored state leaves the spec out (it is parsed once per
procedure version and cached in memory) and is zlib-compressed JSON.
"""

from __future__ import annotations

import ast
import json
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, EventBasedGateway, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import IntermediateCatchEvent
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
from SpiffWorkflow.spiff.specs.defaults import UserTask

from . import bpmn_checks, calendar, clock, dmn_checks, expressions, money, operations, sandbox
from .errors import BundleInvalid, ModelError

LEVEL_ALIASES: dict[str, str] = {}
for _level, _names in {
    "village": ("village", "村级", "村", "村（居）", "村居"),
    "township": ("township", "镇级", "镇", "镇（街道）", "镇（街道）级", "街道", "乡镇"),
    "district": ("district", "区级", "县级", "区县", "区（县）", "县（区）", "市（区）", "区"),
    "assessor": ("assessor", "第三方", "第三方评估", "第三方评估机构"),
}.items():
    for _name in _names:
        LEVEL_ALIASES[_name] = _level

END_STATUSES = ("approved", "rejected", "withdrawn", "exited")
BPMN_NS = bpmn_checks.NS
SUPPORTED_HIT_POLICIES = ("UNIQUE", "COLLECT")

SCRIPT_ENGINE = operations.ScriptEngine(
    environment=sandbox.SandboxEnvironment(calendar.EXPRESSION_HELPERS))


@dataclass(frozen=True)
class Step:
    """A step of a procedure as officials see it: a user task or a notice period."""

    id: str
    name: str
    kind: str  # "user" | "notice"
    level: str | None = None
    form_key: str | None = None
    due_working_days: int | None = None
    due_days: int | None = None


@dataclass(frozen=True)
class ProcessModel:
    key: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    start_form: str
    steps: dict[str, Step] = field(default_factory=dict)
    # Whole-case limits from process properties: caseDueWorkingDays, caseMaxWorkingDays.
    due_working_days: int | None = None
    max_working_days: int | None = None
    # The bundle's decision tables by decision id, for evaluation outside a running case
    # (a bulk recalculation), and every variable name they read.
    decisions: dict[str, Any] = field(default_factory=dict)
    decision_names: frozenset[str] = frozenset()
    # Months (1–12) in which the worker starts this procedure for every enrolled household
    # of each region it is deployed to: process property reviewMonths, e.g. "12" or "1,7".
    review_months: tuple[int, ...] = ()
    # Whether an end event ends the case `exited`: such a case must name its household
    # (start form field `head_id_number`), whose benefit ends with it.
    exits: bool = False
    # The region's target for its average top-up per person, as a share of the standard, by
    # the `area` the decision tables read (补差水平指标): process property topupLevelTargets,
    # e.g. "town:0.75,village:0.5". An indicator to report against, never a per-household rule.
    topup_level_targets: dict[str, Decimal] = field(default_factory=dict)

    @property
    def form_keys(self) -> set[str]:
        keys = {s.form_key for s in self.steps.values() if s.form_key}
        return keys | {self.start_form}


class StrictDMNEngine(DMNEngine):
    """A UNIQUE decision that matches no rule is an error, not a silently empty result."""

    def result(self, task):
        table = self.decision_table
        if table.hit_policy == HitPolicy.UNIQUE.value and not self.decide(task):
            raise WorkflowTaskException(
                f"决策表 {table.name or table.id} 没有与输入匹配的规则", task=task)
        return super().result(task)


@contextmanager
def model_errors() -> Iterator[None]:
    """Errors raised by the model (conditions, scripts, decisions) as a domain error."""
    try:
        with sandbox.step_budget():
            yield
    except SpiffWorkflowException as exc:
        where = getattr(getattr(exc, "task", None), "task_spec", None)
        name = getattr(where, "bpmn_name", None) or getattr(where, "bpmn_id", None)
        raise ModelError(f"{name}：{exc}" if name else str(exc)) from exc


# ---------------------------------------------------------------- parsing and checking


def _int_property(props: dict, name: str, where: str, problems: list[str]) -> int | None:
    raw = props.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        problems.append(f"{where}：属性 {name} 应为整数天数，实际为“{raw}”")
        return None
    if value < 0:
        problems.append(f"{where}：属性 {name} 不能为负数")
    return value


def _describe(task_spec: BpmnTaskSpec, file_name: str) -> str:
    return bpmn_checks.element_label(file_name, task_spec.bpmn_id, task_spec.bpmn_name)


def _model_from_spec(key: str, spec, subs: dict, file_of: dict[str, str],
                     problems: list[str]) -> ProcessModel:
    steps: dict[str, Step] = {}
    start_form = ""
    file_name = file_of.get(key, "")
    ends = []
    for task_spec in [*spec.task_specs.values(),
                      *(ts for sub in subs.values() if sub for ts in sub.task_specs.values())]:
        engine = getattr(task_spec, "dmnEngine", None)
        if engine is not None:
            engine.__class__ = StrictDMNEngine
        if not isinstance(task_spec, BpmnTaskSpec) or task_spec.bpmn_id is None:
            continue
        where = _describe(task_spec, file_name)
        props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
        if isinstance(task_spec, StartEvent) and task_spec in spec.task_specs.values():
            start_form = start_form or props.get("formKey", "")
        elif isinstance(task_spec, UserTask):
            # A missing lane or formKey is refused earlier, from the XML (bpmn_checks).
            level = LEVEL_ALIASES.get((task_spec.lane or "").strip())
            if task_spec.lane is not None and level is None:
                problems.append(
                    f"{where}：泳道“{task_spec.lane}”不是已知层级"
                    "（village/township/district/assessor 或 村级/镇级/区级/第三方）"
                )
            form_key = props.get("formKey", "")
            steps[task_spec.bpmn_id] = Step(
                id=task_spec.bpmn_id,
                name=task_spec.bpmn_name or task_spec.bpmn_id,
                kind="user",
                level=level,
                form_key=form_key or None,
                due_working_days=_int_property(props, "dueWorkingDays", where, problems),
                due_days=_int_property(props, "dueDays", where, problems),
            )
        elif hasattr(task_spec, "operation_name"):
            if task_spec.operation_name not in operations.OPERATIONS:
                problems.append(
                    f"{where}：服务任务调用的操作 {task_spec.operation_name} 不存在"
                    f"（可用：{'、'.join(sorted(operations.OPERATIONS)) or '无'}）")
        elif is_notice(task_spec):
            level = LEVEL_ALIASES.get((task_spec.lane or "").strip())
            if level is None:
                problems.append(f"{where}：公示事件须放在表示层级的泳道中（公示张贴的层级）")
            steps[task_spec.bpmn_id] = Step(
                id=task_spec.bpmn_id, name=task_spec.bpmn_name or task_spec.bpmn_id,
                kind="notice", level=level)
        elif isinstance(task_spec, EndEvent) and task_spec in spec.task_specs.values():
            ends.append(task_spec)
    if not start_form:
        problems.append(f"{file_name} 中流程 {key} 的开始事件缺少 formKey 属性（申请表单）")
    for end in ends:
        if end_status(end.bpmn_id) is None:
            problems.append(
                f"{_describe(end, file_name)}：结束事件的 id 必须以 "
                f"{'/'.join(END_STATUSES)} 之一开头，以确定案件结果"
            )
    if not ends:
        problems.append(f"{file_name} 中流程 {key} 没有结束事件")
    exits = any(end_status(end.bpmn_id or "") == "exited" for end in ends)
    return ProcessModel(key, spec.description or key, spec, subs, start_form, steps,
                        exits=exits)


def is_notice(task_spec) -> bool:
    """A public notice: a timer catch event whose id ends in `_notice` (bpmn/README.md), on
    its own or behind an event-based gateway (where SpiffWorkflow blanks its definition)."""
    return (isinstance(task_spec, IntermediateCatchEvent)
            and (task_spec.bpmn_id or "").endswith("_notice"))


def _definitions(task) -> list:
    """The event definitions a waiting task listens for (several behind an event gateway)."""
    definition = getattr(task.task_spec, "event_definition", None)
    return list(getattr(definition, "event_definitions", None) or
                ([definition] if definition is not None else []))


def _notice_of(task) -> str | None:
    """The notice step a waiting task stands for: the timer itself, or the event gateway
    in front of it."""
    if is_notice(task.task_spec):
        return task.task_spec.bpmn_id
    if isinstance(task.task_spec, EventBasedGateway):
        for output in task.task_spec.outputs:
            if is_notice(output):
                return output.bpmn_id
    return None


def end_status(bpmn_id: str) -> str | None:
    """The case status an end event stands for: its id, or its id's first `_` part."""
    head = bpmn_id.split("_", 1)[0]
    return bpmn_id if bpmn_id in END_STATUSES else head if head in END_STATUSES else None


# Every place a BPMN file holds designer text that SpiffWorkflow evaluates: (xpath, mode, what).
_EXPRESSION_SITES = (
    (".//bpmn:conditionExpression", "eval", "条件表达式"),
    (".//bpmn:timeDuration", "eval", "定时表达式"),
    (".//bpmn:timeDate", "eval", "定时表达式"),
    (".//bpmn:timeCycle", "eval", "定时表达式"),
    (".//bpmn:loopCardinality", "eval", "多实例数量表达式"),
    (".//bpmn:completionCondition", "eval", "多实例完成条件"),
    (".//spiffworkflow:messagePayload", "eval", "消息内容表达式"),
    (".//spiffworkflow:parameter/@value", "eval", "服务操作参数"),
    (".//bpmn:script", "exec", "脚本"),
    (".//spiffworkflow:preScript", "exec", "前置脚本"),
    (".//spiffworkflow:postScript", "exec", "后置脚本"),
)


def _owner_id(node) -> str:
    """The id of the diagram element holding `node` (a flow, task or event, which the designer
    page can mark), not of an event definition or extension element in between."""
    owner = node.getparent()
    while owner is not None:
        tag = etree.QName(owner).localname if isinstance(owner.tag, str) else ""
        if (owner.get("id") and etree.QName(owner).namespace == BPMN_NS["bpmn"]
                and not tag.endswith(("EventDefinition", "LoopCharacteristics"))):
            return owner.get("id")
        owner = owner.getparent()
    return "?"


def _check_expressions(file_name: str, root, problems: list[str]) -> None:
    """Conditions, timers, parameters and scripts must pass the sandbox's check before
    anything runs; each problem names the element that holds the text."""
    for xpath, mode, what in _EXPRESSION_SITES:
        for found in root.xpath(xpath, namespaces=BPMN_NS):
            is_attribute = isinstance(found, str)
            source = (found if is_attribute else found.text or "").strip()
            if not source:
                continue
            where = f"{file_name} 中的 {_owner_id(found)}"
            problem = expressions.problem(source, mode)
            if problem:
                problems.append(f"{where}：{what}“{source}”{problem}")


def _check_dmn(file_name: str, root, problems: list[str]) -> None:
    decisions = root.xpath(".//*[local-name()='decision']")
    if len(decisions) != 1:
        problems.append(
            f"{file_name}：每个 DMN 文件须恰好包含一个决策（decision），实际 {len(decisions)} 个")
    for table in root.xpath(".//*[local-name()='decisionTable']"):
        policy = table.get("hitPolicy", "UNIQUE")
        if policy not in SUPPORTED_HIT_POLICIES:
            problems.append(
                f"{file_name} 中的决策表 {table.get('id', '')}：命中策略 {policy} 不受支持，"
                "只能使用 UNIQUE 或 COLLECT"
            )
    problems.extend(dmn_checks.check_dmn(file_name, root))


def _xml(file_name: str, text: str, problems: list[str]):
    try:
        return etree.fromstring(text.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        problems.append(f"{file_name}：XML 无法解析（第 {exc.lineno} 行：{exc.msg}）")
        return None


def _validation_message(file_name: str, exc: Exception) -> str:
    if isinstance(exc, ValidationException):
        where = " ".join(
            str(x) for x in (exc.file_name or file_name, exc.id, exc.name) if x
        )
        line = f"第 {exc.line_number} 行，" if getattr(exc, "line_number", "") else ""
        return f"{where}：{line}{exc}"
    return f"{file_name}：{exc}"


def parse_bundle(bpmn: dict[str, str], dmn: dict[str, str]) -> dict[str, ProcessModel]:
    """Parse a bundle's sources into process models; raise BundleInvalid listing every problem."""
    models, problems = check_bundle(bpmn, dmn)
    if problems:
        raise BundleInvalid(problems)
    return models


def check_bundle(bpmn: dict[str, str],
                 dmn: dict[str, str]) -> tuple[dict[str, ProcessModel], list[str]]:
    """The models that could be built and every problem found, so that callers can add theirs."""
    problems: list[str] = []
    if not bpmn:
        return {}, ["流程包中没有 .bpmn 文件"]
    parser = SpiffBpmnParser(validator=BpmnValidator())
    file_of: dict[str, str] = {}
    process_props: dict[str, dict[str, str]] = {}
    for file_name, text in sorted(bpmn.items()):
        root = _xml(file_name, text, problems)
        if root is None:
            continue
        _check_expressions(file_name, root, problems)
        problems.extend(bpmn_checks.check_bpmn(file_name, root))
        try:
            parser.add_bpmn_xml(root, file_name)
        except (ValidationException, SpiffWorkflowException, etree.LxmlError) as exc:
            problems.append(_validation_message(file_name, exc))
            continue
        for process in root.xpath(".//bpmn:process", namespaces=BPMN_NS):
            file_of[process.get("id")] = file_name
            process_props[process.get("id")] = {
                p.get("name"): p.get("value") for p in process.xpath(
                    "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
                    namespaces=BPMN_NS)}
    names: set[str] = set()
    for file_name, text in sorted(dmn.items()):
        root = _xml(file_name, text, problems)
        if root is None:
            continue
        _check_dmn(file_name, root, problems)
        names |= _names_read(root)
        try:
            parser.add_dmn_xml(root, file_name)
        except (ValidationException, SpiffWorkflowException, etree.LxmlError,
                AttributeError) as exc:
            problems.append(_validation_message(file_name, exc))
    models: dict[str, ProcessModel] = {}
    if not problems:
        called = _called_process_ids(parser, file_of, problems)
        keys = [] if problems else [k for k in parser.get_process_ids() if k not in called]
        decisions = {} if problems else _decision_engines(parser)
        if not keys and not problems:
            problems.append("流程包中没有可执行的流程（isExecutable=\"true\"）")
        for key in keys:
            try:
                spec = parser.get_spec(key)
                subs = parser.get_subprocess_specs(key)
            except (ValidationException, SpiffWorkflowException) as exc:
                problems.append(_validation_message(file_of.get(key, ""), exc))
                continue
            model = _model_from_spec(key, spec, subs, file_of, problems)
            props, where = process_props.get(key, {}), f"{file_of.get(key, '')} 中流程 {key}"
            models[key] = replace(
                model,
                due_working_days=_int_property(props, "caseDueWorkingDays", where, problems),
                max_working_days=_int_property(props, "caseMaxWorkingDays", where, problems),
                review_months=_months(props.get("reviewMonths"), where, problems),
                topup_level_targets=_shares(props.get("topupLevelTargets"), where, problems),
                decisions=decisions, decision_names=frozenset(names))
    return models, problems


def _decision_engines(parser: SpiffBpmnParser) -> dict[str, StrictDMNEngine]:
    engines = {}
    for decision_id in parser.dmn_parsers:
        engine = parser.get_engine(decision_id, None)
        engine.__class__ = StrictDMNEngine
        engines[decision_id] = engine
    return engines


def _names_read(dmn_root) -> set[str]:
    """Variable names a DMN file's expressions read (unary tests such as `< standard` too)."""
    names: set[str] = set()
    for text in dmn_root.xpath("//*[local-name()='text']/text()"):
        for source in (text, f"_ {text}"):
            try:
                tree = ast.parse(source.strip(), mode="eval")
            except SyntaxError:
                continue
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {"_"}
            break
    return names


def _months(raw: str | None, where: str, problems: list[str]) -> tuple[int, ...]:
    if not raw or not raw.strip():
        return ()
    try:
        months = tuple(sorted({int(m) for m in raw.replace("，", ",").split(",") if m.strip()}))
    except ValueError:
        months = (0,)
    if not months or not all(1 <= m <= 12 for m in months):
        problems.append(f"{where}：属性 reviewMonths 应为 1–12 的月份，以逗号分隔，实际为“{raw}”")
        return ()
    return months


def _shares(raw: str | None, where: str, problems: list[str]) -> dict[str, Decimal]:
    """"town:0.75,village:0.5" → {"town": Decimal("0.75"), …}; each share in (0, 1]."""
    if not raw or not raw.strip():
        return {}
    shares: dict[str, Decimal] = {}
    for part in raw.replace("，", ",").replace("：", ":").split(","):
        area, _, share = part.partition(":")
        try:
            value = Decimal(share.strip())
        except InvalidOperation:
            value = Decimal(0)
        if not area.strip() or not 0 < value <= 1:
            problems.append(f"{where}：属性 topupLevelTargets 应写作“town:0.75,village:0.5”"
                            f"（地区:占标准的比例，0–1），实际为“{raw}”")
            return {}
        shares[area.strip()] = value
    return shares


def _called_process_ids(parser: SpiffBpmnParser, file_of: dict[str, str],
                        problems: list[str]) -> set[str]:
    """Processes reached through call activities are part of another procedure, not their own."""
    called: set[str] = set()
    for key in parser.get_process_ids():
        try:
            called.update(k for k in parser.get_subprocess_specs(key) if k != key)
        except (ValidationException, SpiffWorkflowException) as exc:
            problems.append(_validation_message(file_of.get(key, ""), exc))
    return called


# ---------------------------------------------------------------- spec cache

_models: dict[int, ProcessModel] = {}


def model_for(version_id: int, key: str,
              sources: Callable[[], tuple[dict[str, str], dict[str, str]]]) -> ProcessModel:
    """The parsed model of a deployed version, parsed at most once per process.

    `sources` is only called on a cache miss, so the (deferred) source columns are read
    from the database only by a process that has not seen this version yet.
    """
    model = _models.get(version_id)
    if model is None:
        model = _models[version_id] = parse_bundle(*sources())[key]
    return model


def remember(version_id: int, model: ProcessModel) -> None:
    _models[version_id] = model


# ---------------------------------------------------------------- lean serialization


class _LeanWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the spec out of stored state; restore expects the cached spec objects."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec, subs = dct.pop("spec"), dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_SERIALIZER = BpmnWorkflowSerializer(
    BpmnWorkflowSerializer.configure({**DEFAULT_CONFIG, BpmnWorkflow: _LeanWorkflowConverter})
)
# The converter registry, for SpiffWorkflow's spec diff and migration (spiff_versions.py).
REGISTRY = _SERIALIZER.registry
# Exact amounts in task data (decision outputs, engine/money.py) keep their decimal text.
_DECIMAL = "__decimal__"


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _decode(dct: dict) -> Any:
    return money.Amount(dct[_DECIMAL]) if len(dct) == 1 and _DECIMAL in dct else dct


def _prune_history(wf: BpmnWorkflow) -> None:
    """Drop finished tasks above the point where the unfinished ones diverge.

    SpiffWorkflow keeps every task it ever ran, so a case returned for rework twenty times
    would carry twenty laps of tree and get slower with each. What officials did is kept in
    task rows and the audit trail; the workflow needs only what can still run. The task
    just above the divergence is kept (re-hung under the root) so data carries over.
    """
    unfinished = wf.get_tasks(state=TaskState.NOT_FINISHED_MASK)
    if not unfinished:
        return

    def chain(task) -> list:
        out = []
        while task is not None:
            out.append(task)
            task = task.parent
        return out[::-1]

    lca = None
    for nodes in zip(*map(chain, unfinished), strict=False):
        if any(n is not nodes[0] for n in nodes):
            break
        lca = nodes[0]
    root = wf.task_tree
    keep = lca.parent or lca
    if keep is root or keep.parent is root:
        return
    kept, stack = {root.id}, [keep]
    while stack:
        task = stack.pop()
        kept.add(task.id)
        stack.extend(task.children)
    for task_id in [t for t in wf.tasks if t not in kept]:
        del wf.tasks[task_id]
    root._children, keep._parent = [keep.id], root.id


def dump(wf: BpmnWorkflow) -> bytes:
    """The workflow as stored. Task data a script left in a form JSON cannot hold (a generator,
    a function, NaN) is the model's fault: a ModelError, so nothing is stored."""
    _prune_history(wf)
    try:
        payload = json.dumps(_SERIALIZER.to_dict(wf), separators=(",", ":"),
                             ensure_ascii=False, allow_nan=False, default=_encode)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ModelError(f"流程数据无法保存（脚本留下了无法保存的值）：{exc}") from exc
    return zlib.compress(payload.encode("utf-8"), 6)


def load(blob: bytes, model: ProcessModel) -> BpmnWorkflow:
    text = zlib.decompress(blob)
    dct = json.loads(text, object_hook=_decode) if _DECIMAL.encode() in text else json.loads(text)
    dct["spec"], dct["subprocess_specs"] = model.spec, model.subprocess_specs
    wf = _SERIALIZER.from_dict(dct)
    wf.script_engine = SCRIPT_ENGINE
    return wf


# ---------------------------------------------------------------- running


def start(model: ProcessModel, application: dict[str, Any]) -> BpmnWorkflow:
    """A new workflow with the application as its data, run up to its first wait."""
    wf = BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=SCRIPT_ENGINE)
    first = wf.get_next_task(state=TaskState.READY)
    first.set_data(**application)
    with model_errors():
        wf.do_engine_steps()
    return wf


def ready_user_tasks(wf: BpmnWorkflow) -> list:
    return wf.get_tasks(state=TaskState.READY, manual=True)


def find_ready(wf: BpmnWorkflow, workflow_task_id: str):
    task = wf.get_task_from_id(UUID(workflow_task_id))
    if task is None or task.state != TaskState.READY:
        return None
    return task


def complete(wf: BpmnWorkflow, workflow_task_id: str, data: dict[str, Any]) -> bool:
    """Run one ready user task with the form data and every engine step after it."""
    task = find_ready(wf, workflow_task_id)
    if task is None:
        return False
    task.set_data(**data)
    with model_errors():
        task.run()
        wf.do_engine_steps()
    return True


def fire_timers(wf: BpmnWorkflow) -> None:
    """Fire whatever timers are due at the (frozen) current instant and run on."""
    with model_errors():
        wf.refresh_timers()
        wf.do_engine_steps()


def _timer_value(task) -> datetime | None:
    if not any(isinstance(d, TimerEventDefinition) for d in _definitions(task)):
        return None
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):  # cycle timers keep their next firing
        value = value.get("next")
    try:
        return clock.as_utc(datetime.fromisoformat(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def next_timer_at(wf: BpmnWorkflow) -> datetime | None:
    """The earliest instant a waiting timer of this workflow falls due."""
    due = [v for t in wf.get_tasks(state=TaskState.WAITING) if (v := _timer_value(t))]
    return min(due) if due else None


@dataclass(frozen=True)
class WaitingNotice:
    step: str
    ends_at: datetime | None
    proposed_amount: Decimal | None


def waiting_notices(wf: BpmnWorkflow) -> dict[str, WaitingNotice]:
    """The public notices the workflow waits on, by step id."""
    out = {}
    for task in wf.get_tasks(state=TaskState.WAITING):
        step = _notice_of(task)
        if step:
            amount = task.data.get("proposed_amount", task.data.get("amount"))
            value = money.number(amount)
            out[step] = WaitingNotice(step, _timer_value(task),
                                      money.fen(value) if value is not None else None)
    return out


OBJECTION_MESSAGE = "objection"


def send_objection(wf: BpmnWorkflow, payload: dict[str, Any]) -> bool:
    """Deliver an objection to the notice the workflow waits on, if the model catches one."""
    for task in wf.get_tasks(state=TaskState.WAITING):
        for definition in _definitions(task):
            if (isinstance(definition, MessageEventDefinition)
                    and definition.name == OBJECTION_MESSAGE):
                with model_errors():
                    wf.send_event(BpmnEvent(definition, payload,
                                            definition.get_correlations(task, payload)))
                    wf.do_engine_steps()
                return True
    return False


class _Facts:
    """The little of a task (and its workflow) that a decision table and its errors read."""

    def __init__(self, decision_id: str, data: dict[str, Any]) -> None:
        self.data = data
        self.task_spec = SimpleNamespace(bpmn_name=decision_id, bpmn_id=decision_id)
        self.workflow = self.top_workflow = self
        self.spec = SimpleNamespace(file="")
        self.script_engine = SCRIPT_ENGINE


def decide(model: ProcessModel, decision_ids: list[str], data: dict[str, Any]) -> dict[str, Any]:
    """Evaluate decisions of the model's bundle in turn, each seeing the ones before.

    Returns the data with every decision's outputs merged in. A decision the bundle does not
    have, or one that fails or matches no rule, is a ModelError.
    """
    facts = dict(data)
    for decision_id in decision_ids:
        engine = model.decisions.get(decision_id)
        if engine is None:
            raise ModelError(f"流程包中没有决策表 {decision_id}")
        try:
            with sandbox.step_budget():
                facts.update(engine.result(_Facts(decision_id, facts)))
        except SpiffWorkflowException as exc:
            raise ModelError(f"{decision_id}：{exc}") from exc
    return facts


def decision_outputs(model: ProcessModel) -> list[str]:
    """The output names of the bundle's decision tables, in table order."""
    names: list[str] = []
    for engine in model.decisions.values():
        for output in engine.decision_table.outputs:
            if output.name and output.name not in names:
                names.append(output.name)
    return names


def decisions_at(wf: BpmnWorkflow, workflow_task_id: str,
                 model: ProcessModel) -> dict[str, Any]:
    """What the decision tables gave, as the ready task `workflow_task_id` sees it."""
    task = wf.get_task_from_id(UUID(workflow_task_id))
    data = task.data if task is not None else {}
    return {name: data[name] for name in decision_outputs(model) if name in data}


def final_status(wf: BpmnWorkflow) -> str | None:
    """approved/rejected/… once the workflow has finished, from the end event it reached."""
    if not wf.is_completed():
        return None
    for task in wf.get_tasks(state=TaskState.COMPLETED):
        if isinstance(task.task_spec, EndEvent) and task.workflow is wf:
            status = end_status(task.task_spec.bpmn_id or "")
            if status:
                return status
    return "approved" if wf.success else "rejected"


def final_data(wf: BpmnWorkflow) -> dict[str, Any]:
    """The data the workflow finished with (that of its last completed end event)."""
    ends = [t for t in wf.get_tasks(state=TaskState.COMPLETED)
            if isinstance(t.task_spec, EndEvent) and t.workflow is wf]
    return dict(ends[-1].data) if ends else dict(wf.data)




__all__ = [
    "SERIALIZER_VERSION",
    "ProcessModel",
    "Step",
    "complete",
    "dump",
    "load",
    "parse_bundle",
    "start",
]


def forget_cached() -> None:
    _models.clear()
