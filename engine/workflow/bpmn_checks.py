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
    return problems
