"""Structural checks on BPMN files, read from the XML itself.

SpiffWorkflow 3.2 builds a process by walking from its start events, so an element that no
flow reaches (a stray user task, a gateway left behind) never becomes a task spec and would pass
every check made on the parsed specs. These checks look at every flow node in the file instead:

- a user task must stand in a lane (the level that works on it) and name its form (`formKey`);
- a start event needs an outgoing sequence flow, an end event an incoming one, tasks, gateways
  and intermediate events both, a boundary event an outgoing one.

Event subprocesses, link events and compensation handlers are joined by other means than
sequence flows and are left alone. Each problem names the file and the element (id and name).
"""

from __future__ import annotations

import re

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
_TASKS = frozenset({
    "task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "manualTask",
    "sendTask", "receiveTask", "callActivity", "subProcess",
})
_GATEWAYS = frozenset({
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
    "complexGateway",
})
_EVENTS = frozenset({"intermediateCatchEvent", "intermediateThrowEvent"})
_KIND_NAMES = {
    "startEvent": "开始事件",
    "endEvent": "结束事件",
    "boundaryEvent": "边界事件",
    **dict.fromkeys(_TASKS, "任务"),
    **dict.fromkeys(_GATEWAYS, "网关"),
    **dict.fromkeys(_EVENTS, "中间事件"),
}


def local_name(tag: str) -> str:
    """An XML tag without its namespace (BPMN and DMN alike)."""
    return tag.rsplit("}", 1)[-1]


def element_label(file_name: str, element_id: str | None, name: str | None) -> str:
    """How a problem names a diagram element, the form the designer page marks."""
    name = (name or "").strip()
    return f"{file_name} 中的 {element_id}{f'（{name}）' if name else ''}"


def _describe(file_name: str, node) -> str:
    return element_label(file_name, node.get("id"), node.get("name"))


def _needs(node) -> tuple[bool, bool]:
    """(needs incoming, needs outgoing) by BPMN's rules for the element's kind."""
    kind = local_name(node.tag)
    if kind == "subProcess" and node.get("triggeredByEvent") == "true":
        return False, False
    if node.get("isForCompensation") == "true":
        return False, False
    if kind in _EVENTS and node.find("bpmn:linkEventDefinition", NS) is not None:
        return kind == "intermediateThrowEvent", kind == "intermediateCatchEvent"
    if kind == "startEvent":
        return False, True
    if kind == "endEvent":
        return True, False
    if kind == "boundaryEvent":
        compensation = node.find("bpmn:compensateEventDefinition", NS) is not None
        return False, not compensation
    return True, True


def _form_key(node) -> str:
    values = node.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties"
        "/spiffworkflow:property[@name='formKey']/@value",
        namespaces=NS,
    )
    return (values[0] if values else "").strip()


def check_bpmn(file_name: str, root) -> list[str]:
    """Every structural problem in one parsed BPMN file, one Chinese sentence each."""
    problems: list[str] = []
    flows = root.xpath(".//bpmn:sequenceFlow", namespaces=NS)
    sources = {f.get("sourceRef") for f in flows}
    targets = {f.get("targetRef") for f in flows}
    lane_refs = root.xpath(".//bpmn:flowNodeRef", namespaces=NS)
    in_lanes = {(ref.text or "").strip() for ref in lane_refs}
    for process in root.xpath(".//bpmn:process", namespaces=NS):
        for node in process.iter():
            if not isinstance(node.tag, str) or local_name(node.tag) not in _KIND_NAMES:
                continue
            where = _describe(file_name, node)
            kind = local_name(node.tag)
            needs_in, needs_out = _needs(node)
            if needs_in and node.get("id") not in targets:
                problems.append(f"{where}：{_KIND_NAMES[kind]}没有流入的顺序流，流程永远到达不了它")
            if needs_out and node.get("id") not in sources:
                problems.append(f"{where}：{_KIND_NAMES[kind]}没有流出的顺序流，流程到此无法继续")
            if kind == "userTask":
                if node.get("id") not in in_lanes:
                    problems.append(f"{where}：用户任务必须放在表示层级的泳道中")
                if not _form_key(node):
                    problems.append(f"{where}：用户任务缺少 formKey 属性（表单）")
        problems.extend(_gateway_problems(file_name, process))
    return problems


# A default flow is taken when no condition matched (a misspelt decision value): it must never
# approve, which pays the household. (A default to a refusal fails closed, and a gateway with
# no default stops the step with a model error when nothing matches: both are allowed, since
# bundles written for plain SpiffWorkflow model them so.)
_DECIDING_ENDS = ("approved",)
# Elements a default flow passes straight through on its way (no one decides there).
_PASSING = frozenset({"scriptTask", "serviceTask", "businessRuleTask", "task",
                      "exclusiveGateway", "parallelGateway", "inclusiveGateway",
                      "intermediateThrowEvent"})


_ROUTES_ON_DECISION = re.compile(r"\bdecision\b")


def _gateway_problems(file_name: str, process) -> list[str]:
    """A deciding exclusive gateway (one routing on a step's `decision`) whose default flow
    reaches an approval with no step in between (bpmn/README.md, "the safe default")."""
    problems: list[str] = []
    nodes = {n.get("id"): n for n in process.iter()
             if isinstance(n.tag, str) and n.get("id")}
    outgoing: dict[str, list] = {}
    for flow in process.xpath("./bpmn:sequenceFlow", namespaces=NS):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    for gateway in process.xpath("./bpmn:exclusiveGateway", namespaces=NS):
        flows = outgoing.get(gateway.get("id"), [])
        conditions = [(c.text or "") for f in flows
                      if (c := f.find("bpmn:conditionExpression", NS)) is not None]
        if not any(_ROUTES_ON_DECISION.search(c) for c in conditions):
            continue  # routes on computed data (帮扶方式, 是否渐退): the designer's call
        default = next((f for f in flows if f.get("id") == gateway.get("default")), None)
        end = _reaches_deciding_end(nodes, outgoing, default) if default is not None else None
        if end is not None:
            where = _describe(file_name, gateway)
            problems.append(f"{where}：默认流直接通向批准结束事件 {end}，决定的值写错（未匹配任何"
                            "条件）时会直接批准；批准须有明确条件，默认流应是退回或重做")
    return problems


def _reaches_deciding_end(nodes: dict, outgoing: dict, flow) -> str | None:
    """The deciding end event `flow` leads to with no one deciding on the way, or None."""
    seen: set[str] = set()
    target = nodes.get(flow.get("targetRef"))
    while target is not None and target.get("id") not in seen:
        seen.add(target.get("id"))
        kind = local_name(target.tag)
        if kind == "endEvent":
            head = (target.get("id") or "").split("_", 1)[0]
            return target.get("id") if head in _DECIDING_ENDS else None
        onward = outgoing.get(target.get("id"), [])
        if kind not in _PASSING or len(onward) != 1:
            return None
        target = nodes.get(onward[0].get("targetRef"))
    return None
