"""Known ways out of an expression sandbox, tried in every place Yimen evaluates designer text.

Each probe must be refused by the engine's check (what `yimen check` and deploy run), naming
the element, or fail at run time as a model error; never run a command, write a file, leak
the environment, or hold the caller for long. Places: a script task, a gateway condition, a
timer, a DMN input expression, input entry and output entry. Forms evaluate no designer text:
their defaults are data (last test).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import _BpmnCondition

from engine.store.errors import BundleInvalid, ModelError
from engine.time import clock
from engine.workflow import bridge, interpreter, sandbox, spiff

SAFETY_SECONDS = 2.0  # a safety bound, not a benchmark
CANARY = "yimen-canary-7d41c0"

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="x">
  <bpmn:process id="probe" name="probe" isExecutable="true">
    <bpmn:startEvent id="start">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="application" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:scriptTask id="probe_script" name="脚本">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="probe_gateway" name="网关" default="f_no">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>probe_condition</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="probe_condition" sourceRef="probe_gateway" targetRef="probe_rule">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
        >{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="probe_gateway" targetRef="rejected" />
    <bpmn:businessRuleTask id="probe_rule" name="决策">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>probe_decision</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>probe_condition</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:intermediateCatchEvent id="probe_timer" name="定时">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition id="probe_timer_def">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{timer}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="approved"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="rejected"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="probe_script" />
    <bpmn:sequenceFlow id="f2" sourceRef="probe_script" targetRef="probe_gateway" />
    <bpmn:sequenceFlow id="f4" sourceRef="probe_rule" targetRef="probe_timer" />
    <bpmn:sequenceFlow id="f5" sourceRef="probe_timer" targetRef="approved" />
  </bpmn:process>
</bpmn:definitions>
"""

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="probe_decision" name="probe">
    <decisionTable id="probe_table" hitPolicy="UNIQUE">
      <input id="probe_input" label="x">
        <inputExpression id="probe_input_expression" typeRef="number"
          ><text>{input}</text></inputExpression>
      </input>
      <output id="probe_output" name="tier" typeRef="string" />
      <rule id="probe_row">
        <inputEntry id="probe_entry"><text>{entry}</text></inputEntry>
        <outputEntry id="probe_out"><text>{output}</text></outputEntry>
      </rule>
      <rule id="probe_fallback">
        <inputEntry id="probe_any"><text>-</text></inputEntry>
        <outputEntry id="probe_fallback_out"><text>"other"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""

SAFE = {"script": "y = x + 1", "condition": "y > 0", "timer": '"PT1H"',
        "input": "x", "entry": "&gt; 0", "output": '"high"'}
# place -> how deploy names it in its problem
PLACES = {"script": "probe_script", "condition": "probe_condition", "timer": "probe_timer",
          "input": "第 1 个输入表达式", "entry": "probe_row", "output": "probe_row"}


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def bundle(place: str, probe: str) -> tuple[dict[str, str], dict[str, str]]:
    slots = dict(SAFE, **{place: _xml(probe)})
    return {"probe.bpmn": BPMN.format(**slots)}, {"probe.dmn": DMN.format(**slots)}


def escapes(marker) -> dict[str, str]:
    """Probes that would write `marker` or read the environment if they got out."""
    touch = f"'touch {marker}'"
    return {
        "generator frame walk":
            "(g := (g.gi_frame.f_back.f_back.f_builtins for x in [1])) and "
            f"list(g)[0]['__import__']('os').system({touch})",
        "generator frame, no walrus":
            f"[g for g in [(i for i in [1])]][0].gi_frame.f_builtins['open']('{marker}', 'w')",
        "str.format field access": "'{0.__globals__[ast].sys.modules[os].environ}'.format(fen)",
        "str.format_map": "'{f.__globals__}'.format_map({'f': fen})",
        "format with attribute of a helper": "'{0.__code__}'.format(age_on)",
        "f-string nested format spec": "f'{fen:{x}}'",
        "f-string conversion": "f'{fen!r}'",
        "subclasses walk": "().__class__.__base__.__subclasses__()",
        "subclasses via mro": "''.__class__.mro()[1].__subclasses__()",
        "dunder import": f"__import__('os').system({touch})",
        "import in a script": "import os",
        "open": f"open('{marker}', 'w')",
        "exec": f"exec(\"open('{marker}', 'w')\")",
        "eval": f"eval(\"__import__('os').system({touch})\")",
        "getattr": "getattr(fen, '__globals__')",
        "vars": "vars()",
        "globals": "globals()['__builtins__']",
        "type": "type(fen)",
        "type with three arguments": "type('X', (), {})",
        "lambda": "(lambda: 1)()",
        "lambda defaults": "(lambda f=fen: f.__globals__)()",
        "helper attributes": "fen.__globals__['Decimal']",
        "method object internals": "x.__class__",
        "bound method self": "'a'.strip.__self__",
        "helper as a value": "[fen][0]('1')",
    }


def script_escapes(marker) -> dict[str, str]:
    return {
        "import in a script": f"import os\nos.system('touch {marker}')",
        "class definition": "class A:\n    pass",
        "function definition": "def f():\n    return 1\ny = f()",
        "while loop": "y = 0\nwhile True:\n    y = y + 1",
        "global": "global x\nx = 1",
        "try": "try:\n    y = 1\nexcept Exception:\n    y = 2",
        "subscript assignment": "d = {}\nd['a'] = 1",
        "attribute assignment": "x.a = 1",
        "rebinding a helper": "fen = 1",
    }


# ---------------------------------------------------------------- refused by the check


@pytest.mark.parametrize("place", list(PLACES))
def test_every_escape_is_refused_by_the_check_in_every_place(place, tmp_path, monkeypatch):
    monkeypatch.setenv("YIMEN_SANDBOX_CANARY", CANARY)
    marker = tmp_path / "escaped"
    for name, probe in escapes(marker).items():
        if place == "entry" and name == "import in a script":
            continue  # `x import os` is a syntax error there; still refused, below
        started = time.perf_counter()
        _models, problems = spiff.check_bundle(*bundle(place, probe))
        assert time.perf_counter() - started < SAFETY_SECONDS
        found = [p for p in problems if PLACES[place] in p]
        assert found, f"{name} in {place}: not refused ({problems})"
        assert any("不安全" in p or "语法错误" in p for p in found), (name, place, found)
        assert CANARY not in " ".join(problems)
    assert not marker.exists()


def test_script_statements_outside_the_language_are_refused(tmp_path):
    marker = tmp_path / "escaped"
    for name, probe in script_escapes(marker).items():
        _models, problems = spiff.check_bundle(*bundle("script", probe))
        assert any("probe_script" in p and "不安全" in p for p in problems), (name, problems)
    assert not marker.exists()


@pytest.mark.parametrize(("place", "probe"), [
    ("condition", "not " * 4000 + "1"),
    ("condition", "1" + "+1" * 9000),
    ("script", "y = " + "-" * 19000 + "1"),
])
def test_text_nested_past_the_parser_is_a_problem_not_a_crash(place, probe):
    _models, problems = spiff.check_bundle(*bundle(place, probe))
    assert any(PLACES[place] in p and "嵌套过深" in p for p in problems), problems


@pytest.mark.parametrize(("probe", "words"), [
    ('"garbage"', "不是有效的 ISO 8601 时长"),
    ('"-P1D"', "不是有效的 ISO 8601 时长"),
    ('"R5/PT1M"', "不是有效的 ISO 8601 时长"),
    ('"P99999Y"', "超过 10 年"),
    ("", "定时表达式为空"),
    ("P7D", "须加引号"),
    ("7", "应为文本"),
])
def test_a_timer_whose_constant_cannot_run_is_refused_at_deploy(probe, words):
    _models, problems = spiff.check_bundle(*bundle("timer", probe))
    assert any("probe_timer" in p and words in p for p in problems), problems


@pytest.mark.parametrize("value", ["garbage", "-P1D", "P99999Y", "R5/PT1M"])
def test_a_timer_expression_giving_a_bad_value_is_a_model_error_when_it_runs(value):
    """Only a running case can evaluate `x_timer`: its value is checked before SpiffWorkflow
    parses it, so the step fails as a model error (422, nothing stored), never a 500."""
    models = spiff.parse_bundle(*bundle("timer", "timer_value"))
    with pytest.raises(ModelError, match="定时表达式") as err, \
            clock.frozen(datetime(2027, 6, 1, 9, tzinfo=UTC)):
        spiff.start(models["probe"], {"x": 2, "timer_value": value})
    assert "probe_timer" in str(err.value) or "定时" in str(err.value)


def test_good_timer_values_still_wait():
    models = spiff.parse_bundle(*bundle("timer", "timer_value"))
    for value in ("P7D", "PT12H", "P6M", "P0D"):
        with clock.frozen(datetime(2027, 6, 1, 9, tzinfo=UTC)):
            spiff.start(models["probe"], {"x": 2, "timer_value": value})


def test_service_parameters_and_pre_scripts_are_checked_too():
    from tests.factories import LINZI

    review = (LINZI / "review.bpmn").read_text(encoding="utf-8")
    assert review.count('value="new_amount"') == 1
    probe = _xml("'{0.__globals__}'.format(fen)").replace('"', "&quot;")
    _models, problems = spiff.check_bundle(
        {"review.bpmn": review.replace('value="new_amount"', f'value="{probe}"')}, {})
    assert any("服务操作参数" in p and "不安全" in p for p in problems), problems

    pre = BPMN.format(**SAFE).replace(
        '<bpmn:script>', '<bpmn:extensionElements><spiffworkflow:preScript>import os'
        '</spiffworkflow:preScript></bpmn:extensionElements><bpmn:script>')
    _models, problems = spiff.check_bundle({"probe.bpmn": pre}, bundle("script", "y = 1")[1])
    assert any("probe_script" in p and "前置脚本" in p for p in problems), problems


def test_deploy_refuses_a_bundle_with_an_escape():
    with pytest.raises(BundleInvalid) as err:
        spiff.parse_bundle(*bundle("condition", "().__class__.__base__.__subclasses__()"))
    assert any("probe_condition" in p and "__subclasses__" in p for p in err.value.problems)


def test_refusals_say_what_is_wrong_in_chinese():
    def problem(place, probe):
        _models, problems = spiff.check_bundle(*bundle(place, probe))
        return " ".join(problems)

    assert "不允许使用名称 open" in problem("condition", "open('/etc/passwd')")
    assert "不允许访问属性 .format" in problem("output", "'{0}'.format(fen)")
    assert "不支持：lambda 函数" in problem("timer", "(lambda: 'PT1H')()")
    assert "不支持：while 循环" in problem("script", "while True:\n    pass")
    assert "不支持：import 导入" in problem("script", "import os")


# ---------------------------------------------------------------- refused at run time


def run(place: str, probe: str) -> tuple[ModelError, float]:
    """Parse the bundle with the probe in `place`, start a case, and return the model error
    it fails with and how long the run (not the parse) held the caller."""
    models = spiff.parse_bundle(*bundle(place, probe))
    started = time.perf_counter()
    with pytest.raises(ModelError) as err, clock.frozen(datetime(2027, 6, 1, 9, tzinfo=UTC)):
        spiff.start(models["probe"], {"x": 2})
    return err.value, time.perf_counter() - started


BOUNDED = {
    "range of 10**15": "max(range(10**15)) > 0",
    "tower of powers": "9**9**9 > 0",
    "huge repetition": "len('a' * 10**10) > 0",
    "huge list repetition": "len([0] * 10**9) > 0",
    "nested repetition": "len(str([[0] * 100000] * 100000)) > 0",
    "many big lists": "len(str([[0] * 100000 for i in range(10000)])) > 0",
    "long comprehension": "sum(1 for i in range(100000) for j in range(100000)) > 0",
    "huge integer product": "(10**1000) * (10**1000) * (10**1000) * (10**1000) > 0",
    "left shift": "(1 << 10**9) > 0",
    "string formatting width": "len('%999999999d' % 1) > 0",
    "replace blow-up": "len(('a' * 1000).replace('', 'b' * 1000)) > 0",
    "join blow-up": "len(('a' * 50000).join(['b' * 50000] * 3)) > 0",
    "integer rounding to -10**9 digits": "round(5, -10**9) == 0",
    # one built-in step over shared references: hours with no deadline check inside it
    "comparison of shared references":
        "[['a' * 100000] * 100000] * 100000 == [['a' * 100000] * 100000] * 100000",
    "max of shared references": "len(max([[1] * 100000] * 100000)) > 0",
    "literal of shared references": "len([[1] * 100000, [1] * 100000] * 50) > 0",
    "huge decimal to integer": "int(fen(10) ** 999999) > 0",
    "long digit string to integer": "int('9' * 5000) > 0",
}


@pytest.mark.parametrize("place", ["condition", "timer", "input", "output"])
@pytest.mark.parametrize("name", list(BOUNDED))
def test_sizes_are_bounded_in_every_place(place, name):
    probe = BOUNDED[name]
    if place == "timer":
        probe = f"'PT1H' if {probe} else 'PT2H'"
    sandbox.check(probe)  # passes the check: refused only by its size, when it runs
    error, elapsed = run(place, probe)
    assert elapsed < SAFETY_SECONDS
    assert refused_for_size(str(error)), str(error)


def refused_for_size(message: str) -> bool:
    return any(word in message for word in ("超过上限", "超时", "不支持"))


@pytest.mark.parametrize("name", list(BOUNDED))
def test_sizes_are_bounded_in_a_script_and_an_input_entry(name):
    for place, probe in (("script", f"y = {BOUNDED[name]}"),
                         ("entry", f"? == ({BOUNDED[name]})")):
        error, elapsed = run(place, probe)
        assert elapsed < SAFETY_SECONDS
        assert refused_for_size(str(error)), str(error)


LONG_RUNNING = {
    "nested loops": "y = 0\nfor i in range(100000):\n    for j in range(100000):\n        y += 1",
    "loop of big sorts": "y = 0\nfor i in range(100000):\n    y = len(sorted(range(99999)))",
    "loop of string building": "s = ''\nfor i in range(100000):\n    s = s + 'ab'",
}


@pytest.mark.parametrize("name", list(LONG_RUNNING))
def test_long_scripts_stop_within_their_budget(name):
    error, elapsed = run("script", LONG_RUNNING[name])
    assert elapsed < SAFETY_SECONDS
    assert refused_for_size(str(error)), str(error)


def test_an_endless_script_after_a_timer_does_not_hold_the_worker():
    """What `yimen worker` does for a due timer: fire it and run on into the script."""
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="x">
  <bpmn:process id="after_timer" name="after_timer" isExecutable="true">
    <bpmn:startEvent id="start">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="application" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="等待">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="wait_def">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="endless" name="死循环">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>{_xml(LONG_RUNNING["nested loops"])}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="approved"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="endless" />
    <bpmn:sequenceFlow id="f3" sourceRef="endless" targetRef="approved" />
  </bpmn:process>
</bpmn:definitions>
"""
    model = spiff.parse_bundle({"after_timer.bpmn": xml}, {})["after_timer"]
    with clock.frozen(datetime(2027, 6, 1, 9, tzinfo=UTC)):
        wf = spiff.start(model, {"x": 1})
    assert spiff.waits(wf).next_timer_at == datetime(2027, 6, 1, 10, tzinfo=UTC)
    started = time.perf_counter()
    with pytest.raises(ModelError, match="死循环"), \
            clock.frozen(datetime(2027, 6, 1, 11, tzinfo=UTC)):
        spiff.fire_timers(wf)
    assert time.perf_counter() - started < SAFETY_SECONDS


def test_many_slow_evaluations_in_one_step_share_one_budget(monkeypatch):
    """A decision table of many slow rules cannot hold a worker for many budgets."""
    monkeypatch.setattr(interpreter, "TIME_BUDGET", 0.2)
    monkeypatch.setattr(interpreter, "STEP_BUDGET", 0.5)
    slow = "sum(1 for i in range(60000)) < 0"  # about 0.05-0.2 s each, never true
    env = sandbox.SandboxEnvironment()
    started = time.perf_counter()
    with pytest.raises(sandbox.LimitExceeded), bridge.calling(None):
        for _ in range(100):
            env.evaluate(slow, {})
    assert time.perf_counter() - started < SAFETY_SECONDS


@pytest.mark.parametrize("name", list(escapes("/nonexistent/marker")))
def test_the_evaluator_refuses_escapes_even_without_the_check(name, tmp_path, monkeypatch):
    """A version deployed before the check (or any text that skipped it) is refused when it
    runs: the evaluator applies the same rules to every source it parses."""
    monkeypatch.setenv("YIMEN_SANDBOX_CANARY", CANARY)
    marker = tmp_path / "escaped"
    probe = escapes(marker)[name]
    env = sandbox.SandboxEnvironment()
    started = time.perf_counter()
    with pytest.raises((SyntaxError, sandbox.ExpressionError)) as err:
        if name == "import in a script":
            env.execute(probe, {"x": "a"})
        else:
            env.evaluate(probe, {"x": "a"})
    assert time.perf_counter() - started < SAFETY_SECONDS
    assert CANARY not in str(err.value)
    assert not marker.exists()


def test_an_escape_in_a_deployed_condition_fails_as_a_model_error(tmp_path, monkeypatch):
    """Past the check (say an old version in the database), a case still cannot get out."""
    monkeypatch.setenv("YIMEN_SANDBOX_CANARY", CANARY)
    marker = tmp_path / "escaped"
    models = spiff.parse_bundle(*bundle("condition", "y > 0"))
    gateway = models["probe"].spec.task_specs["probe_gateway"]
    probe = escapes(marker)["str.format field access"]
    gateway.cond_task_specs = [(_BpmnCondition(probe) if condition else None, target)
                               for condition, target in gateway.cond_task_specs]
    with pytest.raises(ModelError) as err, clock.frozen(datetime(2027, 6, 1, tzinfo=UTC)):
        spiff.start(models["probe"], {"x": 2})
    assert "format" in str(err.value) and CANARY not in str(err.value)
    assert not marker.exists()


# ---------------------------------------------------------------- what still works


def test_the_language_designers_use_still_runs():
    script = "\n".join([
        "today = '2027-06-01'",
        "n = len(members)",
        "total = fen(sum(i['amount'] for i in incomes if i['category'] == 'wages'))",
        "adults = len([m for m in members if age_on(m['birth_date'], today) >= 18])",
        "names = ', '.join(sorted(m['name'].strip() for m in members))",
        "by_name = {m['name']: m.get('grade', '-') for m in members}",
        "label = f'{total:.2f} 元'",
        "first, second = members[0]['name'], members[1]['name']",
        "phase = 0",
        "for m in members:",
        "    if m['name'].strip().startswith('王'):",
        "        phase += 12",
        "    else:",
        "        continue",
        "keys = list(by_name.keys())",
        "duration = 'P' + str(phase) + 'M'",
    ])
    data = {"members": [{"name": " 王一 ", "birth_date": "1960-01-02"},
                        {"name": "李二", "birth_date": "2015-03-04", "grade": "1"}],
            "incomes": [{"category": "wages", "amount": 1000.005},
                        {"category": "other", "amount": 5.0}]}
    env = sandbox.SandboxEnvironment()
    env.execute(script, data)
    assert data["n"] == 2 and data["total"] == 1000.01 and data["adults"] == 1
    assert data["names"] == "李二, 王一" and data["by_name"] == {" 王一 ": "-", "李二": "1"}
    assert data["label"] == "1000.01 元" and (data["first"], data["second"]) == (" 王一 ", "李二")
    assert data["phase"] == 12 and data["duration"] == "P12M"
    assert data["keys"] == [" 王一 ", "李二"]
    assert env.evaluate('decision == "approve" and n > 1', {"decision": "approve", "n": 2})


def test_helpers_and_extra_context_reach_evaluations():
    env = sandbox.SandboxEnvironment({"standard_monthly": lambda region: 800, "rate": 0.5})
    assert env.evaluate("standard_monthly('D1') * rate", {}) == 400.0
    assert env.evaluate("dmninputexpr > 3", {}, {"dmninputexpr": 5}) is True
    assert env.evaluate("twice(3)", {}, {"twice": lambda v: v * 2}) == 6
    with pytest.raises(sandbox.ExpressionError, match="未定义"):
        env.evaluate("missing + 1", {"missed": 1})


def test_a_script_cannot_store_what_a_case_cannot_hold():
    env = sandbox.SandboxEnvironment()
    data: dict = {"s": "ab"}
    with pytest.raises(sandbox.ExpressionError, match="不能保存"):
        env.execute("f = s.strip", data)
    with pytest.raises(sandbox.ExpressionError, match="不能保存"):
        env.execute("y = set([1, 2])", data)
    assert data == {"s": "ab"}  # nothing was written
    env.execute("g = (c for c in s)\nk = {'a': 1}.keys()", data)
    assert data == {"s": "ab", "g": ["a", "b"], "k": ["a"]}  # lists, never generators or views


def test_what_one_script_stores_is_bounded_all_together():
    """Many variables each under the bound would still store megabytes per run."""
    env = sandbox.SandboxEnvironment()
    data: dict = {}
    script = "\n".join(f"v{i} = 'x' * 100000" for i in range(11))  # each 100,002 units
    with pytest.raises(sandbox.ExpressionError, match="超过上限"):
        env.execute(script, data)
    assert data == {}
    env.execute("a = list(range(1000))\nb = list(range(1000))", data)
    assert sorted(data) == ["a", "b"]


def test_model_errors_name_the_script_line():
    error, _elapsed = run("script", "y = 1\nz = {}['missing']")
    assert "第 2 行" in str(error) and "字段不存在" in str(error)


# ---------------------------------------------------------------- forms


def test_form_defaults_are_data_never_evaluated(tmp_path, monkeypatch):
    from forms import load_form

    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "escaped"
    probe = "__import__('os').system('touch escaped')"
    form = load_form(
        "key: probe\ntitle: 探针\nfields:\n"
        "  - name: note\n    type: string\n    label: 备注\n"
        f"    default: \"{probe}\"\n")
    assert form.validate({})["note"] == probe
    assert not marker.exists()


# ---------------------------------------------------------------- a real case, on the database


def test_a_runaway_condition_in_a_deployed_procedure_is_a_quick_model_error(db, client):
    from sqlalchemy import func, select

    from engine.casework import cases, tasks
    from engine.people import accounts
    from engine.store.models import AuditEvent, ProcessInstance
    from engine.workflow import procedures
    from tests.factories import LINZI, make_world, open_task, valid_application, valid_step_data

    world = make_world(db, deploy=False)
    files = procedures.read_bundle_dir(LINZI)
    xml = files["identification.bpmn"].decode()
    xml = xml.replace('decision == "approve"',
                      'decision == "approve" and max(range(10**15)) > 0', 1)
    procedures.deploy(db, None, "D1", {**files, "identification.bpmn": xml.encode()})
    case = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application())
    task = open_task(db, case.id)
    version = db.scalar(select(ProcessInstance.version))

    started = time.perf_counter()
    with pytest.raises(ModelError, match="range"):
        tasks.complete(db, world.user("vil11"), task.id, valid_step_data("village_evaluation"))
    assert time.perf_counter() - started < SAFETY_SECONDS
    db.expire_all()
    assert open_task(db, case.id).id == task.id
    assert db.scalar(select(ProcessInstance.version)) == version
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "task.completed")) == 0

    token = accounts.issue_token(db, world.user("vil11"))
    started = time.perf_counter()
    res = client.post(f"/api/tasks/{task.id}/complete",
                      json={"data": valid_step_data("village_evaluation")},
                      headers={"Authorization": f"Bearer {token}"})
    assert time.perf_counter() - started < SAFETY_SECONDS
    assert res.status_code == 422 and res.json["error"]["code"] == "model_error"
