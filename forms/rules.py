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

Reading `rules:` from a form file (checking the names and values it uses) is
forms/spec_rules.py; this module is what the rules do when a form is submitted.

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

from .model import Condition

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
OPERATORS = {
    ">": "大于",
    ">=": "不小于",
    "<": "小于",
    "<=": "不大于",
    "==": "等于",
    "!=": "不等于",
}

_today: ContextVar[date | None] = ContextVar("forms_today", default=None)


def today() -> date | None:
    """The day a form is validating on (Form.validate's `today`), None outside one."""
    return _today.get()


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
            f"应{OPERATORS[self.op]}{self._right_words(data)}"
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
