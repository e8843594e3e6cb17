"""Checks on DMN decision tables that SpiffWorkflow 3.2 would otherwise get silently wrong.

`check_dmn(file_name, root)` returns one problem per finding, each naming the file, the table,
the rule and the column, so a designer can fix the table before it is deployed. It adds to the
checks in `spiff.parsing._check_dmn` (one decision per file, hit policy UNIQUE or COLLECT) and does
not repeat them. What it catches (see /work/shared/notes/spiffworkflow-3.2.md, DMN traps):

- a UNIQUE table whose last rule is not a catch-all (every input entry `-` or empty): Spiff
  sets no output at all when no rule matches, and the workflow carries on;
- FEEL syntax that Spiff reads as Python and gets wrong or fails on at run time: ranges
  (`[1..10]`), comma lists or conjunctions (`1, 5`, `>= 3, < 10`), `not(...)`, lowercase
  `true`/`false`/`null`;
- entries and expressions that do not compile, or that the sandbox refuses;
- `aggregation` on a COLLECT table (ignored), more than one table per decision (only the
  first is used), decision chaining (`requiredDecision`, unsupported), outputs without a name,
  empty output entries (the output is set to ""), rules with the wrong number of entries.
"""

from __future__ import annotations

import re

from engine.workflow import expressions
from engine.workflow.bpmn_checks import local_name

_FEEL_WORDS = re.compile(r"\b(true|false|null)\b")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _children(node, name: str) -> list:
    return [c for c in node if isinstance(c.tag, str) and local_name(c.tag) == name]


def _text(node) -> str:
    found = _children(node, "text")
    return (found[0].text or "").strip() if found else ""


def _top_level_comma(source: str) -> bool:
    depth = 0
    for ch in _QUOTED.sub('""', source):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            return True
    return False


def _feel_problem(entry: str) -> str | None:
    bare = _QUOTED.sub('""', entry)
    if ".." in bare:
        return "FEEL 区间写法（如 [1..10]）不受支持，请写成 Python：1 <= ? <= 10"
    if _top_level_comma(entry):
        return ("FEEL 逗号列表或条件（如 1, 5 或 >= 3, < 10）会被当作元组比较、永不命中，"
                "请写成 Python：? in [1, 5] 或 3 <= ? < 10")
    if re.match(r"^\s*not\s*\(", bare):
        return "FEEL 否定 not(...) 会被误读为与 False 比较，请写成 Python：!= 5 或 ? not in [1, 5]"
    word = _FEEL_WORDS.search(bare)
    if word:
        return f"小写 {word.group(1)} 是 FEEL 写法，Python 中应写 True/False/None"
    return None


def _input_entry_problem(entry: str) -> str | None:
    """How Spiff reads an entry: with `?` as the input; as a value compared with `==`; or
    appended to the input (`>= 6000`). It must compile one of those ways."""
    feel = _feel_problem(entry)
    if feel:
        return feel
    unquoted = _QUOTED.sub('""', entry)
    if "?" in unquoted:
        return expressions.problem(entry.replace("?", "dmninputexpr"))
    problem = expressions.problem(entry)
    if problem is None or not problem.startswith("语法错误"):
        return problem
    if re.match(r"\s*[A-Za-z_0-9]", entry):
        # Spiff appends the entry to the input with no space: `in [1, 5]` after `area`
        # becomes `areain [1, 5]`, a name no case has, on every case.
        word = entry.strip().split()[0]
        return (f"以 {word} 开头的条目会与输入表达式直接相连（如 areain [...]），每个案件都会出错；"
                f"请用 ? 代表输入，写成 ? {entry.strip()}")
    return expressions.problem(f"dmninputexpr {entry}")


def _is_catch_all(rule) -> bool:
    return all(_text(e) in ("", "-") for e in _children(rule, "inputEntry"))


def check_dmn(file_name: str, root) -> list[str]:
    """Every problem found in one DMN file (root: its lxml root element)."""
    problems: list[str] = []
    for decision in root.iter():
        if not isinstance(decision.tag, str) or local_name(decision.tag) != "decision":
            continue
        did = decision.get("id", "")
        if _children(decision, "informationRequirement") or any(
                isinstance(n.tag, str) and local_name(n.tag) == "requiredDecision"
                for n in decision.iter()):
            problems.append(f"{file_name} 中的决策 {did}：不支持引用其他决策（requiredDecision），"
                            "请用多个业务规则任务依次调用")
        tables = _children(decision, "decisionTable")
        if len(tables) > 1:
            problems.append(f"{file_name} 中的决策 {did}：含 {len(tables)} 个决策表，"
                            "只有第一个会被使用")
        for table in tables:
            problems += _check_table(file_name, table)
    return problems


def _check_table(file_name: str, table) -> list[str]:
    problems: list[str] = []
    tid = table.get("id", "")
    where = f"{file_name} 中的决策表 {tid}"
    policy = table.get("hitPolicy", "UNIQUE").upper()
    if table.get("aggregation"):
        problems.append(f"{where}：aggregation=\"{table.get('aggregation')}\" 会被忽略"
                        "（COLLECT 只返回列表），请在后续脚本中汇总")
    inputs = _children(table, "input")
    outputs = _children(table, "output")
    for i, node in enumerate(inputs, 1):
        found = _children(node, "inputExpression")
        source = _text(found[0]) if found else ""
        if not source:
            problems.append(f"{where} 第 {i} 个输入（{node.get('label', '')}）：缺少输入表达式")
            continue
        problem = expressions.problem(source)
        if problem:
            problems.append(f"{where} 第 {i} 个输入表达式“{source}”{problem}")
    for i, node in enumerate(outputs, 1):
        name = node.get("name") or ""
        if not _IDENTIFIER.match(name):
            problems.append(f"{where} 第 {i} 个输出（{node.get('label', '')}）：name 应为变量名，"
                            f"实际为“{name}”")
    rules = _children(table, "rule")
    if not rules:
        problems.append(f"{where}：没有任何规则")
    for n, rule in enumerate(rules, 1):
        at = f"{where} 第 {n} 条规则（{rule.get('id', '')}）"
        entries = _children(rule, "inputEntry")
        results = _children(rule, "outputEntry")
        if len(entries) != len(inputs):
            problems.append(f"{at}：有 {len(entries)} 个输入条件，表有 {len(inputs)} 个输入")
        if len(results) != len(outputs):
            problems.append(f"{at}：有 {len(results)} 个输出值，表有 {len(outputs)} 个输出")
        for i, entry in enumerate(entries, 1):
            source = _text(entry)
            if source in ("", "-"):
                continue
            problem = _input_entry_problem(source)
            if problem:
                problems.append(f"{at} 第 {i} 列条件“{source}”：{problem}")
        for i, result in enumerate(results, 1):
            source = _text(result)
            if not source:
                problems.append(f"{at} 第 {i} 个输出为空（会把输出设为空字符串）")
                continue
            problem = _feel_problem(source) if _FEEL_WORDS.search(
                _QUOTED.sub('""', source)) else None
            problem = problem or expressions.problem(source)
            if problem:
                problems.append(f"{at} 第 {i} 个输出“{source}”：{problem}")
    if policy == "UNIQUE" and rules and not _is_catch_all(rules[-1]):
        problems.append(f"{where}：最后一条规则须为兜底规则（所有输入条件为 -），"
                        "否则没有规则命中时不会设置任何输出，流程会静默继续")
    return problems
