"""The designer's proof: a new county's procedure written from a short policy text with the
conventions of bpmn/README.md and forms/README.md alone (no script, no engine change), deployed
through the API and walked through approve, refuse and objection paths, on both databases.

The policy text (青石县, made up for this test):

    青石县最低生活保障审核确认办法
    一、申请人向乡镇（街道）提出申请。乡镇（街道）受理后先行入户调查，核实家庭人口和家庭月人均
        收入，提出审核意见。
    二、家庭月人均收入低于当地低保标准的，按（标准－月人均收入）×家庭人口核定月补差；不低于
        标准的，不予认定，写明理由。
    三、审核符合条件的，在申请人所在村公示7个工作日。公示期间有异议的，由乡镇（街道）重新调查
        核实。
    四、公示无异议的，由县民政局审核确认并核定补差金额；不予认定的，乡镇（街道）在3个工作日内
        书面告知申请人理由。

How the guide's conventions express it:
- township first: the start event and the township review sit in the 镇（街道） lane;
- the table `qingshi_eligibility` reads only what the township form put there
  (`per_capita_income`, `household_size`) and the engine's `standard_monthly`; it gives
  `eligible`, `proposed_amount` and `refusal_reason`;
- the gateway after it routes on the township's `decision` and the table's `eligible`, and its
  default flow goes back to the township (the safe path);
- the 7-working-day notice is a `*_notice` timer `working_days_later(7)` behind an event-based
  gateway whose `*_objection` branch returns to the township;
- the county's form has a field `amount` prefilled from `proposed_amount`: the approved amount
  comes from that field, with no script; the refusal notice's reasons are prefilled from the
  table's `refusal_reason`.
"""
# ruff: noqa: E501  (the bundle's XML and YAML are written as a designer would, one element a line)

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from engine.store.models import Benefit
from engine.time import clock
from tests.factories import PASSWORD, USERS, make_world, valid_application
from tests.web.conftest import sign_in, sign_out, text
from tests.web.test_api_walkthrough import run_worker

FLOW = '<bpmn:sequenceFlow id="{0}" sourceRef="{1}" targetRef="{2}"{3}>{4}</bpmn:sequenceFlow>'


def flow(fid: str, source: str, target: str, condition: str | None = None,
         name: str = "") -> str:
    cond = ("" if condition is None else
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
            "</bpmn:conditionExpression>")
    return FLOW.format(fid, source, target, f' name="{name}"' if name else "", cond)


def user_task(tid: str, name: str, form: str, days: int, incoming: list[str],
              outgoing: str) -> str:
    ins = "".join(f"<bpmn:incoming>{i}</bpmn:incoming>" for i in incoming)
    return (f'<bpmn:userTask id="{tid}" name="{name}"><bpmn:extensionElements>'
            f'<spiffworkflow:properties><spiffworkflow:property name="formKey" value="{form}" />'
            f'<spiffworkflow:property name="dueWorkingDays" value="{days}" />'
            f"</spiffworkflow:properties></bpmn:extensionElements>{ins}"
            f"<bpmn:outgoing>{outgoing}</bpmn:outgoing></bpmn:userTask>")


def lane(lid: str, name: str, nodes: list[str]) -> str:
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
    return f'<bpmn:lane id="{lid}" name="{name}">{refs}</bpmn:lane>'


IDENTIFICATION = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="qingshi_definitions" targetNamespace="http://yimen.local/bpmn/qingshi">
<bpmn:message id="objection" name="objection" />
<bpmn:process id="qingshi_identification" name="青石县最低生活保障审核确认" isExecutable="true">
<bpmn:documentation>乡镇先行调查审核，村级公示7个工作日，县民政局审核确认。</bpmn:documentation>
<bpmn:extensionElements><spiffworkflow:properties>
  <spiffworkflow:property name="caseDueWorkingDays" value="30" />
  <spiffworkflow:property name="caseMaxWorkingDays" value="45" />
</spiffworkflow:properties></bpmn:extensionElements>
<bpmn:laneSet id="qingshi_lanes">
{lane("lane_village", "村", ["village_notice_gateway", "village_notice", "village_objection"])}
{lane("lane_township", "镇（街道）", ["application", "township_merge", "township_review",
                                    "eligibility", "township_decision", "refusal_merge",
                                    "refusal_notice", "rejected"])}
{lane("lane_county", "县（区）", ["county_confirmation", "county_decision", "approved"])}
</bpmn:laneSet>
<bpmn:startEvent id="application" name="申请"><bpmn:extensionElements>
  <spiffworkflow:properties><spiffworkflow:property name="formKey" value="application" />
  </spiffworkflow:properties></bpmn:extensionElements>
  <bpmn:outgoing>f_application</bpmn:outgoing></bpmn:startEvent>
<bpmn:exclusiveGateway id="township_merge" name="乡镇调查（汇合）">
  <bpmn:incoming>f_application</bpmn:incoming><bpmn:incoming>t_redo</bpmn:incoming>
  <bpmn:incoming>f_objection</bpmn:incoming><bpmn:incoming>c_return</bpmn:incoming>
  <bpmn:outgoing>f_merge</bpmn:outgoing></bpmn:exclusiveGateway>
{user_task("township_review", "乡镇入户调查审核", "qingshi_township_review", 10,
           ["f_merge"], "f_review")}
<bpmn:businessRuleTask id="eligibility" name="资格与补差测算（决策表）">
  <bpmn:extensionElements><spiffworkflow:calledDecisionId>qingshi_eligibility</spiffworkflow:calledDecisionId>
  </bpmn:extensionElements>
  <bpmn:incoming>f_review</bpmn:incoming><bpmn:outgoing>f_eligibility</bpmn:outgoing>
</bpmn:businessRuleTask>
<bpmn:exclusiveGateway id="township_decision" name="乡镇审核意见与测算结果" default="t_redo">
  <bpmn:incoming>f_eligibility</bpmn:incoming><bpmn:outgoing>t_notice</bpmn:outgoing>
  <bpmn:outgoing>t_refuse</bpmn:outgoing><bpmn:outgoing>t_redo</bpmn:outgoing>
</bpmn:exclusiveGateway>
<bpmn:eventBasedGateway id="village_notice_gateway" name="村级公示">
  <bpmn:incoming>t_notice</bpmn:incoming><bpmn:outgoing>f_notice_timer</bpmn:outgoing>
  <bpmn:outgoing>f_notice_objection</bpmn:outgoing></bpmn:eventBasedGateway>
<bpmn:intermediateCatchEvent id="village_notice" name="村级公示（7个工作日）">
  <bpmn:incoming>f_notice_timer</bpmn:incoming><bpmn:outgoing>f_notice_done</bpmn:outgoing>
  <bpmn:timerEventDefinition id="village_notice_timer">
    <bpmn:timeDate xsi:type="bpmn:tFormalExpression">working_days_later(7)</bpmn:timeDate>
  </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="village_objection" name="公示期间收到异议">
  <bpmn:incoming>f_notice_objection</bpmn:incoming><bpmn:outgoing>f_objection</bpmn:outgoing>
  <bpmn:messageEventDefinition id="village_objection_message" messageRef="objection">
    <bpmn:extensionElements><spiffworkflow:messageVariable>objection</spiffworkflow:messageVariable>
    </bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateCatchEvent>
{user_task("county_confirmation", "县民政局审核确认", "qingshi_county_confirmation", 10,
           ["f_notice_done"], "f_county")}
<bpmn:exclusiveGateway id="county_decision" name="县级审核确认结论" default="c_return">
  <bpmn:incoming>f_county</bpmn:incoming><bpmn:outgoing>c_approve</bpmn:outgoing>
  <bpmn:outgoing>c_reject</bpmn:outgoing><bpmn:outgoing>c_return</bpmn:outgoing>
</bpmn:exclusiveGateway>
<bpmn:endEvent id="approved" name="认定为低保对象"><bpmn:incoming>c_approve</bpmn:incoming>
</bpmn:endEvent>
<bpmn:exclusiveGateway id="refusal_merge" name="不予认定（汇合）">
  <bpmn:incoming>t_refuse</bpmn:incoming><bpmn:incoming>c_reject</bpmn:incoming>
  <bpmn:outgoing>f_refusal</bpmn:outgoing></bpmn:exclusiveGateway>
{user_task("refusal_notice", "送达不予认定通知书", "qingshi_refusal_notice", 3,
           ["f_refusal"], "f_rejected")}
<bpmn:endEvent id="rejected" name="不予认定"><bpmn:incoming>f_rejected</bpmn:incoming>
</bpmn:endEvent>
{flow("f_application", "application", "township_merge")}
{flow("f_merge", "township_merge", "township_review")}
{flow("f_review", "township_review", "eligibility")}
{flow("f_eligibility", "eligibility", "township_decision")}
{flow("t_notice", "township_decision", "village_notice_gateway",
      'decision == "approve" and eligible == True', "符合条件，公示")}
{flow("t_refuse", "township_decision", "refusal_merge",
      'decision == "reject" or (decision == "approve" and eligible == False)', "不予认定")}
{flow("t_redo", "township_decision", "township_merge", name="其他（重新调查）")}
{flow("f_notice_timer", "village_notice_gateway", "village_notice")}
{flow("f_notice_objection", "village_notice_gateway", "village_objection")}
{flow("f_objection", "village_objection", "township_merge", name="有异议，重新调查")}
{flow("f_notice_done", "village_notice", "county_confirmation")}
{flow("f_county", "county_confirmation", "county_decision")}
{flow("c_approve", "county_decision", "approved", 'decision == "approve"', "确认")}
{flow("c_reject", "county_decision", "refusal_merge", 'decision == "reject"', "不予认定")}
{flow("c_return", "county_decision", "township_merge", name="其他（退回乡镇）")}
{flow("f_refusal", "refusal_merge", "refusal_notice")}
{flow("f_rejected", "refusal_notice", "rejected")}
</bpmn:process>
</bpmn:definitions>
"""

ELIGIBILITY = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="qingshi_eligibility_defs"
  name="青石县低保资格与补差" namespace="http://yimen.local/dmn">
<decision id="qingshi_eligibility" name="青石县低保资格与补差">
<decisionTable id="qingshi_eligibility_table" hitPolicy="UNIQUE">
  <input id="in0" label="月人均收入低于标准"><inputExpression id="in0_expr">
    <text>per_capita_income &lt; standard_monthly</text></inputExpression></input>
  <output id="out0" name="eligible" label="是否符合低保条件" />
  <output id="out1" name="proposed_amount" label="测算月补差（元）" />
  <output id="out2" name="refusal_reason" label="不予认定的核算理由" />
  <rule id="r1"><inputEntry id="r1_in0"><text>True</text></inputEntry>
    <outputEntry id="r1_o0"><text>True</text></outputEntry>
    <outputEntry id="r1_o1"><text>fen((standard_monthly - per_capita_income) * household_size)</text></outputEntry>
    <outputEntry id="r1_o2"><text>""</text></outputEntry></rule>
  <rule id="r2"><inputEntry id="r2_in0"><text>False</text></inputEntry>
    <outputEntry id="r2_o0"><text>False</text></outputEntry>
    <outputEntry id="r2_o1"><text>0</text></outputEntry>
    <outputEntry id="r2_o2"><text>"家庭月人均收入（" + str(fen(per_capita_income)) + "元）不低于当地低保标准（" + str(fen(standard_monthly)) + "元）"</text></outputEntry></rule>
  <rule id="r3"><description>兜底：未能判定，退回乡镇重新调查</description>
    <inputEntry id="r3_in0"><text>-</text></inputEntry>
    <outputEntry id="r3_o0"><text>None</text></outputEntry>
    <outputEntry id="r3_o1"><text>None</text></outputEntry>
    <outputEntry id="r3_o2"><text>""</text></outputEntry></rule>
</decisionTable></decision></definitions>
"""

DECISION = """  - name: decision
    type: choice
    label: {label}
    required: true
    options:
      - {{value: approve, label: {approve}}}
      - {{value: return, label: {ret}}}
      - {{value: reject, label: 不予认定}}
"""

TOWNSHIP_FORM = """key: qingshi_township_review
title: 乡镇入户调查审核
fields:
  - {name: visit_date, type: date, label: 入户调查日期, required: true}
  - {name: household_size, type: integer, label: 家庭人口（人）, required: true, min: 1, max: 30}
  - {name: per_capita_income, type: money, label: 家庭月人均收入（元）, required: true}
""" + DECISION.format(label="审核意见", approve="符合条件，公示", ret="重新调查") + """  - name: opinion
    type: text
    label: 审核意见说明
    required_when: {decision: [return, reject]}
rules:
  - {kind: not_after_today, field: visit_date}
"""

COUNTY_FORM = """key: qingshi_county_confirmation
title: 县民政局审核确认
fields:
""" + DECISION.format(label="审核确认结论", approve="确认", ret="退回乡镇") + """  - name: amount
    type: money
    label: 核定月补差金额（元）
    prefill: proposed_amount
    required_when: {decision: approve}
  - name: reason
    type: text
    label: 退回或不予认定的理由
    required_when: {decision: [return, reject]}
"""

REFUSAL_FORM = """key: qingshi_refusal_notice
title: 送达不予认定通知书
fields:
  - {name: served_on, type: date, label: 送达日期, required: true}
  - name: reasons
    type: text
    label: 不予认定理由
    required: true
    prefill: refusal_reason
  - {name: remedies_informed, type: boolean, label: 已告知申请行政复议、提起行政诉讼的权利, required: true}
"""

BUNDLE = {
    "identification.bpmn": IDENTIFICATION,
    "eligibility.dmn": ELIGIBILITY,
    "forms/qingshi_township_review.yaml": TOWNSHIP_FORM,
    "forms/qingshi_county_confirmation.yaml": COUNTY_FORM,
    "forms/qingshi_refusal_notice.yaml": REFUSAL_FORM,
    "standards.csv": "scheme,from,amount,period,document\n"
                     "dibao,2026-01-01,600,month,青石县2026年低保标准（示例）\n",
    "README.md": "# 青石县最低生活保障审核确认\n\n## Assumptions\n\n- 标准：［县民政局公布的标准］\n",
}
WHO = {"township_review": "town1", "county_confirmation": "dist", "refusal_notice": "town1"}


@pytest.fixture
def proof(app, client, db):
    """A world without Linzi, the tokens of its users, and the Qingshi bundle deployed."""
    make_world(db, deploy=False)
    tokens = {}
    for username in USERS:
        res = client.post("/api/tokens", json={"username": username, "password": PASSWORD})
        tokens[username] = {"Authorization": f"Bearer {res.json['token']}"}
    files = [(io.BytesIO(text.encode("utf-8")), name) for name, text in BUNDLE.items()]
    deployed = client.post("/api/procedures", data={"region": "D1", "files": files},
                           content_type="multipart/form-data", headers=tokens["designer"])
    assert deployed.status_code == 201, deployed.json
    return tokens


def start(client, tokens) -> int:
    body = {"procedure": "qingshi_identification", "village": "V11",
            "application": valid_application()}
    res = client.post("/api/cases", json=body, headers=tokens["clerk1"])
    assert res.status_code == 201, res.json
    return res.json["id"]


def open_task(client, tokens, case_id: int) -> dict:
    """The one open task of the case, as its worker reads it."""
    case = client.get(f"/api/cases/{case_id}", headers=tokens["town1"]).json
    (task,) = case["open_tasks"]
    got = client.get(f"/api/tasks/{task['id']}", headers=tokens[WHO[task["step"]]])
    assert got.status_code == 200, got.json
    return got.json


def submit(client, tokens, task: dict, data: dict) -> dict:
    res = client.post(f"/api/tasks/{task['id']}/complete", json={"data": data},
                      headers=tokens[WHO[task["step"]]])
    assert res.status_code == 200, res.json
    return res.json["case"]


def township(client, tokens, case_id: int, income: str, decision: str = "approve") -> dict:
    task = open_task(client, tokens, case_id)
    assert task["step"] == "township_review"
    data = {"visit_date": "2026-05-29", "household_size": 3, "per_capita_income": income,
            "decision": decision}
    if decision != "approve":
        data["opinion"] = "经入户调查，家庭情况不符合条件"
    return submit(client, tokens, task, data)


def test_approve_with_the_amount_from_the_table_then_changed_and_recorded(proof, client, app,
                                                                         db, monkeypatch):
    case_id = start(client, proof)
    township(client, proof, case_id, "450")
    case = client.get(f"/api/cases/{case_id}", headers=proof["town1"]).json
    # (600 - 450) × 3 = 450.00 a month
    assert case["decisions"] == {"eligible": True, "proposed_amount": 450.0,
                                 "refusal_reason": ""}
    assert case["open_tasks"] == []
    run_worker(monkeypatch, app, clock.now() + timedelta(days=4))
    assert client.get(f"/api/cases/{case_id}", headers=proof["town1"]).json["open_tasks"] == []
    run_worker(monkeypatch, app, clock.now() + timedelta(days=15))  # 7 working days passed
    task = open_task(client, proof, case_id)
    assert task["step"] == "county_confirmation"
    assert task["case"]["decisions"]["proposed_amount"] == 450.0
    assert task["prefill"] == {"amount": 450.0}
    amount = next(f for f in task["form"]["fields"] if f["name"] == "amount")
    assert amount["prefill"] == "proposed_amount"
    sign_in(client, "dist")  # the task page shows the table's outputs under their labels
    page = text(client.get(f"/tasks/{task['id']}"))
    assert "决策表结果" in page and "测算月补差（元）" in page and "450.00" in page
    assert "是否符合低保条件" in page
    sign_out(client)
    done = submit(client, proof, task, {"decision": "approve", "amount": "420.00"})
    assert done["status"] == "approved"
    benefit = db.query(Benefit).filter_by(case_id=case_id).one()
    assert benefit.monthly_amount == Decimal("420.00")
    history = client.get(f"/api/cases/{case_id}", headers=proof["dist"]).json["history"]
    changed = [e for e in history if e["action"] == "task.prefill_changed"]
    assert len(changed) == 1 and changed[0]["step"] == "county_confirmation"
    assert changed[0]["comment"] == "核定月补差金额（元）：预填 450.00，提交 420.00"
    sign_in(client, "dist")  # the case page too, after the case has ended
    page = text(client.get(f"/cases/{case_id}"))
    assert "决策表结果" in page and "不予认定的核算理由" in page and "修改预填值" in page


def test_refusal_by_the_table_prefills_the_written_reason(proof, client):
    case_id = start(client, proof)
    township(client, proof, case_id, "650")
    task = open_task(client, proof, case_id)
    assert task["step"] == "refusal_notice"
    assert task["case"]["decisions"]["eligible"] is False
    reason = "家庭月人均收入（650.00元）不低于当地低保标准（600.00元）"
    assert task["prefill"] == {"reasons": reason}
    done = submit(client, proof, task, {"served_on": "2026-06-01", "reasons": reason,
                                        "remedies_informed": True})
    assert done["status"] == "rejected"
    history = client.get(f"/api/cases/{case_id}", headers=proof["town1"]).json["history"]
    assert not [e for e in history if e["action"] == "task.prefill_changed"]


def test_an_objection_sends_the_case_back_to_the_township(proof, client, app, monkeypatch):
    case_id = start(client, proof)
    township(client, proof, case_id, "500")
    (notice,) = client.get("/api/notices?org=V11").json
    objected = client.post(f"/api/notices/{notice['id']}/objections",
                           json={"reason": "该户有经营性收入未申报", "contact": "13800000000"})
    assert objected.status_code == 201, objected.json
    task = open_task(client, proof, case_id)
    assert task["step"] == "township_review"
    township(client, proof, case_id, "700", decision="reject")
    task = open_task(client, proof, case_id)
    assert task["step"] == "refusal_notice"
    assert task["case"]["decisions"] == {"eligible": False, "proposed_amount": 0,
                                         "refusal_reason": task["prefill"]["reasons"]}
