"""The engine's notion of "now".

Production code reads `now()` once per action and passes that instant on (`now=` arguments,
engine.workflow.bridge.StepContext); `yimen worker --once --now T` passes T. For the test
suite the clock can be moved, process-wide (threads see it too): `starting_at()` starts it at a
chosen instant and lets it tick on in real time, so that nothing depends on today;
`frozen()` holds it still at an instant. SpiffWorkflow's timers read the step's instant
through engine/workflow/bridge.py, and this clock outside a step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from time import monotonic

# (instant, monotonic reading when set, or None for a clock held still): the moved clock.
_origin: tuple[datetime, float | None] | None = None


def _moved() -> datetime | None:
    """The moved clock's reading; None on the real clock."""
    if _origin is None:
        return None
    start, reading = _origin
    return start if reading is None else start + timedelta(seconds=monotonic() - reading)


def now() -> datetime:
    """Current instant, timezone-aware UTC (or the moved clock's)."""
    return _moved() or datetime.now(UTC)


@contextmanager
def _moved_to(instant: datetime, ticking: bool) -> Iterator[datetime]:
    global _origin
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    before, _origin = _origin, (instant.astimezone(UTC), monotonic() if ticking else None)
    try:
        yield instant
    finally:
        _origin = before


@contextmanager
def frozen(instant: datetime | None) -> Iterator[datetime]:
    """Run a block (a test's) with `now()` held at `instant`; None leaves the clock as is."""
    if instant is None:
        yield now()
        return
    with _moved_to(instant, ticking=False) as fixed:
        yield fixed


@contextmanager
def starting_at(instant: datetime) -> Iterator[datetime]:
    """Run a block on a clock that reads `instant` on entry and then ticks in real time.

    For the test suite: every test sees the same date whatever the machine's clock says,
    while time still moves forward between steps (orderings by time stay meaningful).
    `frozen()` inside still fixes the instant.
    """
    with _moved_to(instant, ticking=True) as start:
        yield start


def as_utc(value: datetime | None) -> datetime | None:
    """Database drivers may hand back naive datetimes (SQLite); they are always UTC here."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
