"""Cross-field rules: what a clerk checking the paper form would refuse, declared in YAML.

A form (or a rows field, for each of its rows) may list `rules:`; each rule is a mapping with a
`kind` and a few names of sibling fields. The kinds are:

- `not_after_today`  {field}                  a date no later than today (China time)
- `sum_at_most`      {fields, limit}          fields added up stay within a field or number
- `min_count`        {field, count}           rows / picked options / names (split on 、，,；)
- `required_when`    {field, when|when_any}   a field becomes required by other fields' values
- `implies`          {when, field, op, than[, times]}
                                              values in `when` are allowed only if `field op than
                                              × times` holds (`than` a field or a number)

"Today" is never read from the system clock here: Form.validate receives it from the engine,
whose clock tests can fix. A rule is skipped while a field it compares is missing or invalid
(that field already has its own message), so one mistake is not reported twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from .model import Condition, FieldDef, is_number

RULE_KINDS: tuple[str, ...] = (
    "not_after_today",
    "sum_at_most",
    "min_count",
    "required_when",
    "implies",
)
_NUMERIC = frozenset({"integer", "number", "money"})
_COUNTABLE = frozenset({"rows", "multi_choice", "string", "text"})
_NAME_SEPARATORS = re.compile(r"[、，,；;\s]+")
_OPERATORS = {
    ">": "大于",
    ">=": "不小于",
    "<": "小于",
    "<=": "不大于",
    "==": "等于",
    "!=": "不等于",
}

_today: ContextVar[date | None] = ContextVar("forms_today", default=None)


class TodayMissing(RuntimeError):
    """A form with a date rule was validated without telling it which day today is."""


@contextmanager
def today_is(day: date | None) -> Iterator[None]:
    """Make `day` the "today" of date rules while a form validates."""
    token = _today.set(day)
    try:
        yield
    finally:
        _today.reset(token)


def _exact(value: Any) -> Decimal:
    """A form number as the decimal it prints as: sums and comparisons stay exact."""
    return Decimal(str(value))


def _num(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _present(data: Mapping[str, Any], *names: str) -> bool:
    return all(name in data for name in names)


# ---------------------------------------------------------------- rule kinds


@dataclass(frozen=True)
class NotAfterToday:
    field: str
    label: str
    needs_today = True

    def check(self, data: Mapping[str, Any], original: Mapping[str, Any]) -> dict[str, str]:
        today = _today.get()
        if today is None:
            raise TodayMissing("表单含有日期规则，校验时必须传入今天的日期")
        if not _present(data, self.field) or date.fromisoformat(data[self.field]) <= today:
            return {}
        return {
            self.field: f"{self.label}（{data[self.field]}）不能晚于今天（{today.isoformat()}）"
        }


@dataclass(frozen=True)
class SumAtMost:
    fields: tuple[str, ...]
    labels: tuple[str, ...]
    limit: str | float
    limit_label: str | None
    needs_today = False

    def check(self, data: Mapping[str, Any], original: Mapping[str, Any]) -> dict[str, str]:
        if not _present(data, *self.fields):
            return {}
        if isinstance(self.limit, str):
            if self.limit not in data:
                return {}
            limit, shown = data[self.limit], f"{self.limit_label}（{_num(data[self.limit])}）"
        else:
            limit, shown = self.limit, _num(self.limit)
        total = sum((_exact(data[name]) for name in self.fields), Decimal(0))
        if total <= _exact(limit):
            return {}
        names = "与".join(("、".join(self.labels[:-1]), self.labels[-1]))
        message = f"{names}之和（{_num(total)}）不能超过{shown}"
        return dict.fromkeys(self.fields, message)


@dataclass(frozen=True)
class MinCount:
    field: str
    label: str
    type: str
    count: int
    needs_today = False

    def check(self, data: Mapping[str, Any], original: Mapping[str, Any]) -> dict[str, str]:
        if not _present(data, self.field):
            return {}
        value = data[self.field]
        if self.type in ("string", "text"):
            found = len([n for n in _NAME_SEPARATORS.split(value) if n])
            wanted = f"至少需要填写{self.count}个（用顿号“、”分隔）"
        elif self.type == "multi_choice":
            found, wanted = len(value), f"至少需要选择{self.count}项"
        else:
            found, wanted = len(value), f"至少需要填写{self.count}行"
        if found >= self.count:
            return {}
        return {self.field: f"{self.label}{wanted}，现为{found}"}


@dataclass(frozen=True)
class Clause:
    """One `when` entry, with what a message needs to say it in words."""

    condition: Condition
    label: str
    value_labels: Callable[[Any], str]

    def holds(self, data: Mapping[str, Any]) -> bool:
        return self.condition.holds(data)

    def words(self, data: Mapping[str, Any]) -> str:
        return f"{self.label}为“{self.value_labels(data[self.condition.field])}”"


def _holding(clauses: tuple[Clause, ...], any_of: bool, data: Mapping[str, Any]) -> list[Clause]:
    holding = [c for c in clauses if c.holds(data)]
    if any_of:
        return holding
    return holding if len(holding) == len(clauses) else []


@dataclass(frozen=True)
class RequiredWhen:
    field: str
    label: str
    clauses: tuple[Clause, ...]
    any_of: bool
    needs_today = False

    def check(self, data: Mapping[str, Any], original: Mapping[str, Any]) -> dict[str, str]:
        if self.field in data:
            return {}
        raw = original.get(self.field)
        if raw is not None and not (isinstance(raw, str) and not raw.strip()):
            return {}  # filled in but invalid: it has its own message
        holding = _holding(self.clauses, self.any_of, data)
        if not holding:
            return {}
        reasons = "，".join(c.words(data) for c in holding)
        return {self.field: f"{reasons}时，必须填写{self.label}"}


@dataclass(frozen=True)
class Operand:
    name: str | None
    label: str | None
    number: Decimal | None

    def value(self, data: Mapping[str, Any]) -> Decimal:
        return self.number if self.name is None else _exact(data[self.name])

    def words(self, data: Mapping[str, Any]) -> str:
        if self.name is None:
            return _num(self.number)
        return f"{self.label}（{_num(data[self.name])}）"


@dataclass(frozen=True)
class Implies:
    clauses: tuple[Clause, ...]
    left: Operand
    op: str
    right: Operand
    times: Decimal | None
    needs_today = False

    def check(self, data: Mapping[str, Any], original: Mapping[str, Any]) -> dict[str, str]:
        holding = _holding(self.clauses, False, data)
        names = [o.name for o in (self.left, self.right) if o.name is not None]
        if not holding or not _present(data, *names):
            return {}
        right = self.right.value(data) * (self.times if self.times is not None else 1)
        if _compare(self.left.value(data), self.op, right):
            return {}
        message = (
            f"{'，'.join(c.words(data) for c in holding)}时，{self.left.words(data)}"
            f"应{_OPERATORS[self.op]}{self._right_words(data)}"
        )
        return {c.condition.field: message for c in holding}

    def _right_words(self, data: Mapping[str, Any]) -> str:
        words = self.right.words(data)
        if self.times is None:
            return words
        if self.times == Decimal("0.5"):
            return f"{words}的一半"
        return f"{words}乘以{_num(self.times)}"


def _compare(left: Any, op: str, right: Any) -> bool:
    return {
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
        "==": left == right,
        "!=": left != right,
    }[op]


Rule = NotAfterToday | SumAtMost | MinCount | RequiredWhen | Implies


def run_rules(
    rules: tuple[Rule, ...], data: Mapping[str, Any], original: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Every rule's messages, keyed by field name."""
    errors: dict[str, list[str]] = {}
    for rule in rules:
        for name, message in rule.check(data, original).items():
            errors.setdefault(name, []).append(message)
    return errors


# ---------------------------------------------------------------- reading rules from YAML

_KEYS = {
    "not_after_today": ({"field"}, set()),
    "sum_at_most": ({"fields", "limit"}, set()),
    "min_count": ({"field", "count"}, set()),
    "required_when": ({"field"}, {"when", "when_any"}),
    "implies": ({"when", "field", "op", "than"}, set()),
}
_OPTIONAL = {"implies": {"times"}}

#: (where, message) → records a definition problem; returns nothing.
Report = Callable[[str, str], None]
#: (target field, raw values, where) → clean values or None (problem already reported).
CleanValues = Callable[[FieldDef, list[Any], str], list[Any] | None]


class RuleReader:
    """Turns the raw `rules:` list of one level (form or rows field) into Rule objects."""

    def __init__(self, siblings: Mapping[str, FieldDef], report: Report, clean: CleanValues):
        self.siblings = siblings
        self.report = report
        self.clean = clean

    def read(self, raw: Any, where: str) -> tuple[Rule, ...]:
        if not isinstance(raw, list):
            self.report(where, "的规则 rules 应为列表")
            return ()
        rules: list[Rule] = []
        for index, item in enumerate(raw, start=1):
            kind = item.get("kind") if isinstance(item, dict) else None
            at = f"{where}的第{index}条规则" + (f"（{kind}）" if isinstance(kind, str) else "")
            rule = self._one(item, at)
            if rule is not None:
                rules.append(rule)
        return tuple(rules)

    def _one(self, item: Any, at: str) -> Rule | None:
        if not isinstance(item, dict):
            self.report(at, "应为键值映射，包含 kind 等定义项")
            return None
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in _KEYS:
            self.report(at, f"的类型 kind 无效，应为以下之一：{'、'.join(RULE_KINDS)}")
            return None
        needed, one_of = _KEYS[kind]
        allowed = needed | one_of | _OPTIONAL.get(kind, set()) | {"kind"}
        problems = [f"包含未知的定义项“{k}”" for k in item if k not in allowed]
        problems += [f"缺少定义项 {k}" for k in sorted(needed) if k not in item]
        if one_of and len(one_of & item.keys()) != 1:
            problems.append(f"应设置且只设置 {' 或 '.join(sorted(one_of))} 之一")
        for problem in problems:
            self.report(at, problem)
        if problems:
            return None
        return getattr(self, f"_{kind}")(item, at)

    def _field(self, name: Any, at: str, types: frozenset[str] | None = None) -> FieldDef | None:
        fdef = self.siblings.get(name) if isinstance(name, str) else None
        if fdef is None:
            self.report(at, f"引用了不存在的同级字段“{name}”")
            return None
        if types is not None and fdef.type not in types:
            self.report(
                at, f"不能用于 {fdef.type} 类型的字段“{name}”（只能用于{'、'.join(sorted(types))}）"
            )
            return None
        return fdef

    def _not_after_today(self, item: dict[str, Any], at: str) -> Rule | None:
        fdef = self._field(item["field"], at, frozenset({"date"}))
        return None if fdef is None else NotAfterToday(fdef.name, fdef.label)

    def _sum_at_most(self, item: dict[str, Any], at: str) -> Rule | None:
        names = item["fields"]
        if not isinstance(names, list) or len(names) < 2:
            self.report(at, "的 fields 应为至少两个字段名的列表")
            return None
        fdefs = [self._field(n, at, _NUMERIC) for n in names]
        limit = item["limit"]
        limit_def = None
        if isinstance(limit, str):
            limit_def = self._field(limit, at, _NUMERIC)
            if limit_def is None:
                return None
        elif not isinstance(limit, int | float) or isinstance(limit, bool):
            self.report(at, "的 limit 应为字段名或数字")
            return None
        if None in fdefs:
            return None
        return SumAtMost(
            fields=tuple(f.name for f in fdefs),
            labels=tuple(f.label for f in fdefs),
            limit=limit,
            limit_label=limit_def.label if limit_def else None,
        )

    def _min_count(self, item: dict[str, Any], at: str) -> Rule | None:
        count = item["count"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            self.report(at, "的 count 应为正整数")
            return None
        fdef = self._field(item["field"], at, _COUNTABLE)
        return None if fdef is None else MinCount(fdef.name, fdef.label, fdef.type, count)

    def _required_when(self, item: dict[str, Any], at: str) -> Rule | None:
        fdef = self._field(item["field"], at)
        any_of = "when_any" in item
        clauses = self._clauses(item["when_any" if any_of else "when"], at, own=item["field"])
        if fdef is None or clauses is None:
            return None
        if fdef.required:
            self.report(at, f"的字段“{fdef.name}”已是必填项")
            return None
        return RequiredWhen(fdef.name, fdef.label, clauses, any_of)

    def _implies(self, item: dict[str, Any], at: str) -> Rule | None:
        clauses = self._clauses(item["when"], at, own=None)
        op = item["op"]
        if not isinstance(op, str) or op not in _OPERATORS:
            self.report(at, f"的 op“{op}”无效，应为 >、>=、<、<=、==、!= 之一")
            return None
        times = item.get("times")
        if times is not None and not (is_number(times) and times > 0):
            self.report(at, "的 times 应为正数")
            return None
        left = self._operand(item["field"], at)
        right = self._operand(item["than"], at)
        if clauses is None or left is None or right is None:
            return None
        return Implies(clauses, left, op, right,
                       Decimal(str(times)) if times is not None else None)

    def _operand(self, raw: Any, at: str) -> Operand | None:
        """A numeric sibling field, by name, or a number."""
        if is_number(raw) and raw >= 0:
            return Operand(None, None, _exact(raw))
        fdef = self._field(raw, at, _NUMERIC)
        return None if fdef is None else Operand(fdef.name, fdef.label, None)

    def _clauses(self, raw: Any, at: str, own: Any) -> tuple[Clause, ...] | None:
        if not isinstance(raw, dict) or not raw:
            self.report(at, "的条件应为 {字段名: 取值或取值列表} 形式的非空映射")
            return None
        clauses: list[Clause] = []
        ok = True
        for name, wanted in raw.items():
            if name == own:
                self.report(at, "的条件不能引用字段自身")
                ok = False
                continue
            fdef = self._field(name, at)
            values = wanted if isinstance(wanted, list) else [wanted]
            if fdef is None or not values:
                if fdef is not None:
                    self.report(at, f"的条件中“{name}”的取值列表为空")
                ok = False
                continue
            clean = self.clean(fdef, values, at)
            if clean is None:
                ok = False
                continue
            clauses.append(Clause(Condition(fdef.name, tuple(clean)), fdef.label, _labeller(fdef)))
        return tuple(clauses) if ok else None


def _labeller(fdef: FieldDef) -> Callable[[Any], str]:
    def label(value: Any) -> str:
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, list):
            return "、".join(label(v) for v in value)
        found = fdef.option_label(value)
        return found if found is not None else str(value)

    return label
