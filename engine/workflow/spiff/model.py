"""What a parsed procedure is: its steps, levels, limits and decision tables.

Also the few facts read off a spec that parsing and running both need (which step is a
notice, which end event means which case status) and the strict DMN engine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import IntermediateCatchEvent
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.store.errors import ModelError
from engine.workflow import bpmn_checks, bridge, operations, sandbox

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
    environment=sandbox.SandboxEnvironment(operations.BARE_FUNCTIONS))


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
    name_en: str | None = None  # the `nameEn` property, shown with ?lang=en


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
    # Whether it calls a regional operation (engine.workflow.operations.REGIONAL: a standard,
    # every household's top-up): a region's procedure, started at a region, not a village.
    regional: bool = False
    # The region's target for its average top-up per person, as a share of the standard, by
    # the `area` the decision tables read (补差水平指标): process property topupLevelTargets,
    # e.g. "town:0.75,village:0.5". An indicator to report against, never a per-household rule.
    topup_level_targets: dict[str, Decimal] = field(default_factory=dict)
    name_en: str | None = None  # process property nameEn, shown with ?lang=en

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
def model_errors(context: bridge.StepContext | None = None) -> Iterator[None]:
    """Run SpiffWorkflow with the step's context for its callbacks (engine/workflow/bridge.py);
    errors raised by the model (conditions, scripts, decisions) become a domain error."""
    try:
        with bridge.calling(context):
            yield
    except SpiffWorkflowException as exc:
        where = getattr(getattr(exc, "task", None), "task_spec", None) or getattr(
            exc, "task_spec", None)
        name = getattr(where, "bpmn_name", None) or getattr(where, "bpmn_id", None)
        text = in_chinese(exc)
        raise ModelError(f"{name}：{text}" if name else text) from exc


# What designers and officials meet most of SpiffWorkflow's, libxml2's and the schema
# validator's English, in Chinese; any other message is kept as the library gives it.
_LIBRARY_MESSAGES = (
    (re.compile(r"No conditions satisfied (?:for|on) \S+?\.?$"),
     "没有满足任何条件的分支（提交的决定值可能不在流程的条件中，且该网关没有默认流），未作任何更改"),
    (re.compile(r"(?:Failed to execute DMN Rule|Rule failed) on row (\d+)"), r"决策表第 \1 行出错"),
    (re.compile(r"Maximum entity amplification factor exceeded.*"),
     "实体展开过大（疑似“实体炸弹”），已拒绝"),
    (re.compile(r"Entity '([^']*)' not defined.*"), r"实体 \1 未定义"),
    (re.compile(r"Excessive depth in document.*"), "元素嵌套层次过深"),
    (re.compile(r"Invalid bytes in character encoding.*|Input is not proper UTF-8.*"),
     "字符编码无效：文件须为 UTF-8，并与 XML 声明的 encoding 一致"),
    (re.compile(r"Document is empty.*|Start tag expected.*"), "文件为空或不是 XML"),
    (re.compile(r"Opening and ending tag mismatch: (\S+).*"), r"开始标签与结束标签不匹配（\1）"),
    (re.compile(r"Premature end of data.*|EndTag: '</' not found.*"), "文件不完整，XML 提前结束"),
    (re.compile(r"Duplicate process ID: ([^.]*)\.?"), r"流程 id \1 重复"),
    (re.compile(r".*attribute 'id': '([^']*)' is not a valid value of the atomic type "
                r"'xs:ID'.*"), r"id“\1”不是有效的标识（须以字母开头，且在文件中唯一）"),
)


def chinese(message: str) -> str:
    """`message` with the library phrases it holds in Chinese."""
    for pattern, words in _LIBRARY_MESSAGES:
        message = pattern.sub(words, message)
    return message


def in_chinese(exc: SpiffWorkflowException) -> str:
    """A SpiffWorkflow exception's message and notes, in Chinese where `chinese` knows them."""
    parts = [str(exc.args[0]) if exc.args else "", *getattr(exc, "notes", [])]
    return "；".join(chinese(part) for part in parts if part)



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
