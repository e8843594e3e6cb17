"""What a timer's expression must give: an ISO 8601 duration, date or cycle SpiffWorkflow can
use, within a bound.

Why: SpiffWorkflow parses a timer's value only when the timer starts waiting, and a bad one
("garbage", "-P1D", "P99999Y") raised a bare exception there, so every approval reaching the
timer ended in a 500. The same check runs at deploy on a constant value (parsing.py) and on
every value an expression gives when the case runs (sandbox.ScriptEngine), where it is a
model error: 422, nothing stored.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

LONGEST = timedelta(days=3660)  # about ten years: no step of a procedure waits longer
_START = datetime(2000, 1, 1, tzinfo=UTC)  # any start: months differ by a few days only
_UNQUOTED = re.compile(r"R?\d*/?P[0-9YMWDTHS.,]*|\d{4}-\d{2}-\d{2}.*", re.IGNORECASE)
KINDS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}
_EXAMPLES = {"duration": '"P7D"、"PT12H"', "date": '"2027-01-01T09:00:00+08:00"',
             "cycle": '"R3/P1D"'}
_NAMES = {"duration": "时长", "date": "日期时间", "cycle": "循环定时"}


def _duration(text: str) -> timedelta:
    if not text.upper().startswith("P"):
        raise ValueError(text)
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return TimerEventDefinition.get_timedelta_from_start(parsed, _START)


def problem(kind: str, value: Any) -> str | None:
    """Why `value` cannot be the value of a timer of `kind` (duration, date, cycle), or None."""
    example = _EXAMPLES[kind]
    if not isinstance(value, str):
        return f"定时的值应为文本，如 {example}，实际为 {type(value).__name__}"
    try:
        if kind == "duration":
            delta = _duration(value.strip())
        elif kind == "date":
            if not isinstance(TimerEventDefinition.parse_time_or_duration(value.strip()),
                              datetime):
                raise ValueError(value)
            delta = timedelta(0)
        else:
            cycles, _start, delta = TimerEventDefinition.parse_iso_recurring_interval(
                value.strip())
            if cycles == 0 or delta <= timedelta(0):
                raise ValueError(value)
    except Exception:  # SpiffWorkflow raises bare Exceptions, ValueErrors, OverflowErrors
        return f"“{value[:40]}”不是有效的 ISO 8601 {_NAMES[kind]}，应如 {example}"
    if delta > LONGEST:
        return f"“{value[:40]}”超过 10 年，请检查"
    return None


def source_problem(kind: str, source: str) -> str | None:
    """At deploy: an empty timer, an unquoted ISO value (a name when evaluated), or a constant
    that `problem` refuses; None for an expression only a running case can evaluate."""
    text = source.strip()
    if not text:
        return f"定时表达式为空，应如 {_EXAMPLES[kind]}"
    if _UNQUOTED.fullmatch(text):
        return f"须加引号（表达式的值是文本），应写作 \"{text}\""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return problem(kind, value)


def kind_of(definition: Any) -> str | None:
    if isinstance(definition, DurationTimerEventDefinition):
        return "duration"
    if isinstance(definition, TimeDateEventDefinition):
        return "date"
    if isinstance(definition, CycleTimerEventDefinition):
        return "cycle"
    return None


def for_expression(task: Any, expression: str) -> str | None:
    """The kind of the timer of `task` whose expression this is, or None (not a timer's)."""
    definition = getattr(task.task_spec, "event_definition", None)
    found = list(getattr(definition, "event_definitions", None) or
                 ([definition] if definition is not None else []))
    for each in found:
        kind = kind_of(each)
        if kind is not None and getattr(each, "expression", None) == expression:
            return kind
    return None
