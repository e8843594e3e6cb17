"""The engine's notion of "now".

SpiffWorkflow reads `datetime.now(timezone.utc)` inside its timer module. Replaying a case or
running `yimen worker --once --now T` must make every timer see T, so the timer module's
`datetime` is swapped once for a subclass whose `now()` honours a context variable. Outside a
`frozen()` block it is the real clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

_frozen: ContextVar[datetime | None] = ContextVar("yimen_now", default=None)


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # noqa: D102 - mirrors datetime.now
        fixed = _frozen.get()
        if fixed is None:
            return super().now(tz)
        return fixed.astimezone(tz) if tz else fixed.replace(tzinfo=None)


_spiff_timer.datetime = _ClockDatetime


def now() -> datetime:
    """Current instant, timezone-aware UTC (or the frozen instant)."""
    return _frozen.get() or datetime.now(UTC)


@contextmanager
def frozen(instant: datetime | None) -> Iterator[datetime]:
    """Run a block with `now()` (and SpiffWorkflow's timers) fixed at `instant`."""
    if instant is None:
        yield now()
        return
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    token = _frozen.set(instant.astimezone(UTC))
    try:
        yield instant
    finally:
        _frozen.reset(token)


def as_utc(value: datetime | None) -> datetime | None:
    """Database drivers may hand back naive datetimes (SQLite); they are always UTC here."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
