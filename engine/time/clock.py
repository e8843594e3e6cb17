"""The engine's notion of "now".

SpiffWorkflow reads `datetime.now(timezone.utc)` inside its timer module. Replaying a case or
running `yimen worker --once --now T` must make every timer see T, so the timer module's
`datetime` is swapped once for a subclass whose `now()` honours a context variable. Outside a
`frozen()` block it is the real clock, or, under `starting_at()` (the test suite), a clock
that starts at a chosen instant and ticks on in real time, so that nothing depends on today.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from time import monotonic

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

_frozen: ContextVar[datetime | None] = ContextVar("yimen_now", default=None)
# (instant, monotonic reading when set): process-wide, so that threads see it too.
_origin: tuple[datetime, float] | None = None


def _shifted() -> datetime | None:
    """The frozen instant, or the moved clock's reading; None on the real clock."""
    fixed = _frozen.get()
    if fixed is not None or _origin is None:
        return fixed
    start, reading = _origin
    return start + timedelta(seconds=monotonic() - reading)


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # noqa: D102 - mirrors datetime.now
        fixed = _shifted()
        if fixed is None:
            return super().now(tz)
        return fixed.astimezone(tz) if tz else fixed.replace(tzinfo=None)


_spiff_timer.datetime = _ClockDatetime


def now() -> datetime:
    """Current instant, timezone-aware UTC (or the frozen instant)."""
    return _shifted() or datetime.now(UTC)


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


@contextmanager
def starting_at(instant: datetime) -> Iterator[datetime]:
    """Run a block on a clock that reads `instant` on entry and then ticks in real time.

    For the test suite: every test sees the same date whatever the machine's clock says,
    while time still moves forward between steps (orderings by time stay meaningful).
    `frozen()` inside still fixes the instant.
    """
    global _origin
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    before, _origin = _origin, (instant.astimezone(UTC), monotonic())
    try:
        yield instant
    finally:
        _origin = before


def as_utc(value: datetime | None) -> datetime | None:
    """Database drivers may hand back naive datetimes (SQLite); they are always UTC here."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
