"""`yimen check` and deploy refuse what SpiffWorkflow never sees: a user task outside a lane or
without a form, and elements missing the flows BPMN requires (engine/workflow/bpmn_checks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.store.errors import BundleInvalid
from engine.workflow import designer, procedures
from tests.factories import make_world
from web import cli

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = sorted(p.name for p in (ROOT / "bpmn").iterdir() if p.is_dir())

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="tiny" name="小流程" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="caseDueWorkingDays" value="30" />
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_village" name="village">{village_refs}</bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="提出申请">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="application" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:userTask id="village_evaluation" name="村级评议">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="village_evaluation" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="approved" name="认定" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="village_evaluation" />
    <bpmn:sequenceFlow id="f2" sourceRef="village_evaluation" targetRef="approved" />
    {extra}
  </bpmn:process>
</bpmn:definitions>
"""
REFS = "<bpmn:flowNodeRef>start</bpmn:flowNodeRef>" \
       "<bpmn:flowNodeRef>village_evaluation</bpmn:flowNodeRef>" \
       "<bpmn:flowNodeRef>approved</bpmn:flowNodeRef>"


def bpmn(extra: str = "", refs: str = REFS) -> dict[str, bytes]:
    return {"tiny.bpmn": HEAD.format(extra=extra, village_refs=refs).encode("utf-8")}


def problems_of(files: dict[str, bytes]) -> list[str]:
    return designer.validate_bundle(files)


def test_the_small_procedure_itself_passes():
    assert problems_of(bpmn()) == []


def test_an_isolated_user_task_without_lane_form_or_flow_is_refused():
    stray = '<bpmn:userTask id="stray_task" name="孤立任务" />'
    assert problems_of(bpmn(stray)) == [
        "tiny.bpmn 中的 stray_task（孤立任务）：任务没有流入的顺序流，流程永远到达不了它",
        "tiny.bpmn 中的 stray_task（孤立任务）：任务没有流出的顺序流，流程到此无法继续",
        "tiny.bpmn 中的 stray_task（孤立任务）：用户任务必须放在表示层级的泳道中",
        "tiny.bpmn 中的 stray_task（孤立任务）：用户任务缺少 formKey 属性（表单）",
    ]


def test_a_connected_user_task_outside_any_lane_is_refused():
    refs = REFS.replace("<bpmn:flowNodeRef>village_evaluation</bpmn:flowNodeRef>", "")
    assert problems_of(bpmn(refs=refs)) == [
        "tiny.bpmn 中的 village_evaluation（村级评议）：用户任务必须放在表示层级的泳道中"
    ]


def test_a_user_task_without_a_form_is_refused():
    files = bpmn()
    text = files["tiny.bpmn"].decode().replace(
        '<spiffworkflow:property name="formKey" value="village_evaluation" />', "")
    assert problems_of({"tiny.bpmn": text.encode()}) == [
        "tiny.bpmn 中的 village_evaluation（村级评议）：用户任务缺少 formKey 属性（表单）"
    ]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('<bpmn:startEvent id="second_start" name="另一个开始" />',
         ["tiny.bpmn 中的 second_start（另一个开始）：开始事件没有流出的顺序流，流程到此无法继续"]),
        ('<bpmn:endEvent id="rejected" name="不予认定" />',
         ["tiny.bpmn 中的 rejected（不予认定）：结束事件没有流入的顺序流，流程永远到达不了它"]),
        ('<bpmn:exclusiveGateway id="gw" />'
         '<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="approved" />',
         ["tiny.bpmn 中的 gw：网关没有流入的顺序流，流程永远到达不了它"]),
        ('<bpmn:boundaryEvent id="late" name="超时" attachedToRef="village_evaluation">'
         '<bpmn:timerEventDefinition id="t1"><bpmn:timeDuration>"P1D"</bpmn:timeDuration>'
         '</bpmn:timerEventDefinition></bpmn:boundaryEvent>',
         ["tiny.bpmn 中的 late（超时）：边界事件没有流出的顺序流，流程到此无法继续"]),
    ],
    ids=["start", "end", "gateway", "boundary"],
)
def test_missing_flows_are_refused_naming_the_element(extra, expected):
    assert problems_of(bpmn(extra)) == expected


def test_deploy_refuses_the_same(db):
    world = make_world(db, deploy=False)
    with pytest.raises(BundleInvalid) as err:
        procedures.deploy(world.db, None, "D1", bpmn('<bpmn:userTask id="stray_task" />'))
    assert "tiny.bpmn 中的 stray_task：用户任务必须放在表示层级的泳道中" in err.value.problems


def test_yimen_check_refuses_with_the_element_named(tmp_path):
    (tmp_path / "tiny.bpmn").write_bytes(bpmn('<bpmn:userTask id="stray_task" name="孤立任务" />')
                                         ["tiny.bpmn"])
    result = CliRunner().invoke(cli.main, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "stray_task（孤立任务）：用户任务缺少 formKey 属性（表单）" in result.output


@pytest.mark.parametrize("bundle", BUNDLES)
def test_every_shipped_bundle_passes_yimen_check(bundle):
    result = CliRunner().invoke(cli.main, ["check", str(ROOT / "bpmn" / bundle)])
    assert result.exit_code == 0, result.output


def gateway(default: str | None, approve_target: str = "approved",
            return_target: str = "village_evaluation") -> dict[str, bytes]:
    """The small procedure with a deciding gateway after the village's step."""
    text = HEAD.format(extra="", village_refs=REFS).replace(
        '<bpmn:sequenceFlow id="f2" sourceRef="village_evaluation" targetRef="approved" />',
        f'''<bpmn:exclusiveGateway id="decide" name="评议结果"{
            f' default="{default}"' if default else ""} />
        <bpmn:endEvent id="rejected" name="不予认定" />
        <bpmn:sequenceFlow id="f2" sourceRef="village_evaluation" targetRef="decide" />
        <bpmn:sequenceFlow id="g_approve" sourceRef="decide" targetRef="{approve_target}">
          <bpmn:conditionExpression>decision == "aprove"</bpmn:conditionExpression>
        </bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="g_reject" sourceRef="decide" targetRef="rejected">
          <bpmn:conditionExpression>decision == "reject"</bpmn:conditionExpression>
        </bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="g_return" sourceRef="decide" targetRef="{return_target}">{
            "" if default else '<bpmn:conditionExpression>decision == "return"'
                               '</bpmn:conditionExpression>'}</bpmn:sequenceFlow>''')
    text = text.replace("<bpmn:flowNodeRef>approved</bpmn:flowNodeRef>",
                        "<bpmn:flowNodeRef>approved</bpmn:flowNodeRef>"
                        "<bpmn:flowNodeRef>decide</bpmn:flowNodeRef>"
                        "<bpmn:flowNodeRef>rejected</bpmn:flowNodeRef>")
    return {"tiny.bpmn": text.encode("utf-8")}


def test_a_deciding_gateway_s_default_never_approves():
    assert problems_of(gateway("g_return")) == []
    [unsafe] = problems_of(gateway("g_approve"))  # a misspelt value would approve
    assert "decide" in unsafe and "默认流直接通向批准结束事件 approved" in unsafe
    # as plain SpiffWorkflow bundles model them: no default (a model error when nothing
    # matches), or a refusal by default (fails closed)
    assert problems_of(gateway(None)) == []
    assert problems_of(gateway("g_return", return_target="rejected")) == []


def test_no_matching_condition_and_no_default_is_a_chinese_model_error(db):
    """The designer misspelt `aprove`: approving matches nothing, and with no default the
    official hears why, in Chinese, and nothing is stored."""
    from sqlalchemy import func, select

    from engine.casework import cases, tasks
    from engine.store.errors import ModelError
    from engine.store.models import AuditEvent
    from tests.factories import open_task, valid_application, valid_step_data

    world = make_world(db, deploy=False)
    procedures.deploy(world.db, None, "D1", gateway(None))
    case = cases.start(world.db, world.user("clerk1"), "tiny", "V11", valid_application())
    task = open_task(world.db, case.id)
    events = world.db.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(ModelError) as err:
        tasks.complete(world.db, world.user("vil11"), task.id,
                       valid_step_data("village_evaluation", "approve"))
    assert "评议结果：没有满足任何条件的分支" in str(err.value), str(err.value)
    assert "No conditions" not in str(err.value)
    world.db.rollback()
    assert open_task(world.db, case.id).id == task.id
    assert world.db.scalar(select(func.count()).select_from(AuditEvent)) == events


LAUGHS = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">'
                    for p, n in zip("abcdefg", "bcdefgh", strict=True))
          + "]><d>&h;</d>")


@pytest.mark.parametrize(("text", "words"), [
    ("", "文件为空或不是 XML"),
    ("<a>&xx;</a>", "实体 xx 未定义"),
    ("<a><b></a>", "开始标签与结束标签不匹配（b）"),
    ("<a>", "文件不完整"),
    (LAUGHS, "实体展开过大"),
    ("<a>" + "<b>" * 300 + "</b>" * 300 + "</a>", "元素嵌套层次过深"),
])
def test_broken_or_hostile_xml_is_explained_in_chinese(text, words):
    [problem] = [p for p in problems_of({"tiny.bpmn": text.encode("utf-8")})
                 if "XML 无法解析" in p]
    assert words in problem, problem


def test_a_bpmn_file_in_another_encoding_is_one_problem_saying_so():
    text = HEAD.format(extra="", village_refs=REFS).replace('encoding="UTF-8"', 'encoding="GBK"')
    assert problems_of({"tiny.bpmn": text.encode("gbk")}) == [
        "tiny.bpmn：文件不是 UTF-8 编码（请另存为 UTF-8）"]
