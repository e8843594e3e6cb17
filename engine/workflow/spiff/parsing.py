"""Parsing a bundle into ProcessModels, and every check deploy runs before accepting it."""

from __future__ import annotations

import ast
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from lxml import etree
from SpiffWorkflow.bpmn.parser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import UserTask

from engine.store.errors import BundleInvalid
from engine.workflow import bpmn_checks, dmn_checks, expressions, operations, timer_values
from engine.workflow.spiff.model import (
    BPMN_NS,
    END_STATUSES,
    LEVEL_ALIASES,
    SUPPORTED_HIT_POLICIES,
    ProcessModel,
    Step,
    StrictDMNEngine,
    chinese,
    end_status,
    is_notice,
)


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
                name_en=props.get("nameEn") or None,
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
                kind="notice", level=level, name_en=props.get("nameEn") or None)
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
                        exits=exits, regional=operations.is_regional(spec, subs))


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
            timer = None if is_attribute else timer_values.KINDS.get(
                etree.QName(found).localname)
            if not source and timer is None:
                continue
            where = f"{file_name} 中的 {_owner_id(found)}"
            problem = expressions.problem(source, mode) if source else None
            if problem is None and timer is not None:
                problem = timer_values.source_problem(timer, source)
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
        problems.append(f"{file_name}：XML 无法解析（第 {exc.lineno} 行：{chinese(exc.msg)}）")
        return None


def _validation_message(file_name: str, exc: Exception) -> str:
    if isinstance(exc, ValidationException):
        where = " ".join(
            str(x) for x in (exc.file_name or file_name, exc.id, exc.name) if x
        )
        line = f"第 {exc.line_number} 行，" if getattr(exc, "line_number", "") else ""
        return f"{where}：{line}{chinese(str(exc))}"
    return f"{file_name}：{chinese(str(exc))}"


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
    decided_in: dict[str, str] = {}  # decision id -> the file that defines it
    for file_name, text in sorted(dmn.items()):
        root = _xml(file_name, text, problems)
        if root is None:
            continue
        _check_dmn(file_name, root, problems)
        for decision in root.xpath(".//*[local-name()='decision']"):
            first = decided_in.setdefault(decision.get("id") or "", file_name)
            if first != file_name:  # SpiffWorkflow would keep one and drop the other silently
                problems.append(f"{file_name}：决策表 id {decision.get('id')} 与 {first} 重复，"
                                "流程只会用到其中一个；请改用不同的 id")
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
                name_en=props.get("nameEn") or None,
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
