"""Where SpiffWorkflow calls back into the engine: the one place a step's context is not an
argument.

Everything else in the engine takes what it needs in its signature: a case's step is run with
an explicit `StepContext` (session, case, instant, regions, the values its designer text may
read), built once by engine.casework.moves inside the unit of work and passed down to the
adapter (engine.workflow.spiff). But SpiffWorkflow itself calls our script engine (conditions,
scripts, timers, decision tables, service tasks) and its timer module calls `datetime.now()`;
neither call can carry our arguments. So the adapter wraps each SpiffWorkflow call in
`calling(context)`, and only the callbacks read it back:

- `engine.workflow.operations.ScriptEngine`: the values and calendar functions designer text
  sees, and the session, case and instant a service operation runs with;
- `engine.workflow.interpreter`: the time budget every evaluation of one call shares;
- the timer module's `datetime.now()` (`SpiffDatetime`, installed below): the step's instant,
  or outside a step engine.time.clock.now().
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer
from sqlalchemy.orm import Session

from engine.time import calendar, clock


class Unavailable(LookupError):
    """A value designer text reads is not available for this step (e.g. no standard in
    force for the case's region that day); reported to the designer as a model error."""


def _no_values(source: str) -> dict[str, Any]:
    return {}


@dataclass
class StepContext:
    """What one step of a case (or one evaluation of decision tables) runs with."""

    db: Session
    now: datetime
    case: Any = None  # engine.store.models.Case; None when none is at hand (a bare decision)
    regions: tuple[str, ...] = ()  # org codes whose local calendar days apply, outermost first
    # Names an expression or script may read besides its data, given its text (the region's
    # standard: engine.money.standards.reader); may raise Unavailable.
    values: Callable[[str], dict[str, Any]] = _no_values

    @cached_property
    def functions(self) -> dict[str, Callable[..., Any]]:
        """The calendar functions designer text may call, on this step's day and regions."""
        return calendar.expression_functions(self.db, self.regions, self.now)


@dataclass
class _Call:
    context: StepContext | None
    spent: list[float] = field(default_factory=lambda: [0.0])  # seconds of evaluation


_current: ContextVar[_Call | None] = ContextVar("yimen_spiff_call", default=None)


@contextmanager
def calling(context: StepContext | None) -> Iterator[None]:
    """Around one SpiffWorkflow call: its callbacks see `context` and share one time budget.
    `None` (tests driving a bare workflow, checks at deploy) still gets the budget."""
    token = _current.set(_Call(context))
    try:
        yield
    finally:
        _current.reset(token)


def context() -> StepContext | None:
    """The context of the SpiffWorkflow call in progress, for its callbacks only."""
    call = _current.get()
    return call.context if call else None


def spent() -> list[float] | None:
    """The running total of evaluation seconds of the call in progress (None outside one)."""
    call = _current.get()
    return call.spent if call else None


def now() -> datetime:
    """The instant SpiffWorkflow sees: the step's, or the engine clock's outside a step."""
    ctx = context()
    return clock.as_utc(ctx.now) if ctx is not None else clock.now()


class SpiffDatetime(datetime):
    """SpiffWorkflow's timer module reads `datetime.now(timezone.utc)` when a timer starts
    waiting and when timers are refreshed; it must read the step's instant."""

    @classmethod
    def now(cls, tz=None):  # noqa: D102 - mirrors datetime.now
        instant = now()
        return instant.astimezone(tz) if tz else instant.astimezone().replace(tzinfo=None)


_spiff_timer.datetime = SpiffDatetime
