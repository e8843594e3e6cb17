"""Task ids that compress: one random base per workflow and a counter, not a random UUID each.

Why: SpiffWorkflow gives every task it creates a random version-4 UUID. A stored state names
each of its tasks three times or more (its key, its id, its parent's children, the next task's
parent), and random hex does not compress: a fifth of a running case's compressed state was
task ids (issue 16's storage target). Here a workflow holds a random 80-bit base, drawn when
it is started or first loaded without one, and numbers the tasks it creates under it; the
stored state carries the base and the next number (storage.py), so a reloaded workflow goes
on counting. Ids stay UUIDs, unique across cases by their base, so task rows, the inbox and
SpiffWorkflow itself see nothing different.

The hook is SpiffWorkflow's own: `Task.__init__` takes an id and draws a random one only
when none is given (SpiffWorkflow 3.2, task.py); `install` gives one when the task's
workflow numbers its tasks, and leaves every other workflow (tests' and benchmarks' bare
ones) to SpiffWorkflow.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import UUID

from SpiffWorkflow import TaskState
from SpiffWorkflow.task import Task

ATTRIBUTE = "_yimen_task_ids"
_COUNTER_BITS = 48  # the UUID's last group: 12 hex digits
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1


class TaskIds:
    """A workflow's base and the number of the next task it creates. A fresh one draws its
    base with its first task, so a workflow loaded and stored again without creating a task
    is stored exactly as it was."""

    __slots__ = ("base", "next")

    def __init__(self, base: int | None = None, next_number: int = 1) -> None:
        self.base = base
        self.next = next_number

    def draw(self) -> UUID:
        if self.base is None:
            self.base = int.from_bytes(os.urandom(10), "big") << _COUNTER_BITS
        number = self.next
        if number > _COUNTER_MAX:  # never in practice: 2^48 tasks in one case
            raise OverflowError("a workflow ran out of task numbers")
        self.next = number + 1
        return UUID(int=self.base | number)

    def stored(self) -> list[str | int] | None:
        """As the stored state keeps it: the base as 20 hex digits, the next number (None
        before the first task)."""
        if self.base is None:
            return None
        return [f"{self.base >> _COUNTER_BITS:020x}", self.next]

    @classmethod
    def restored(cls, value: list[str | int]) -> TaskIds:
        base, number = value
        return cls(int(str(base), 16) << _COUNTER_BITS, int(number))


# The numbering of a workflow being constructed (its first tasks exist before it can hold one).
_constructing: ContextVar[TaskIds | None] = ContextVar("yimen_task_ids", default=None)


def number_tasks(workflow, ids: TaskIds | None = None) -> None:
    """From now on, the tasks `workflow` creates (its subprocesses' included) are numbered."""
    setattr(workflow, ATTRIBUTE, ids or TaskIds())


@contextmanager
def numbered() -> Iterator[TaskIds]:
    """Number the tasks of the workflow constructed inside; give it the numbering after."""
    ids = TaskIds()
    token = _constructing.set(ids)
    try:
        yield ids
    finally:
        _constructing.reset(token)


def of(workflow) -> TaskIds | None:
    return getattr(workflow, ATTRIBUTE, None)


def forget(workflow) -> None:
    """Stop numbering (a template's state is rendered with ids of its own)."""
    if hasattr(workflow, ATTRIBUTE):
        delattr(workflow, ATTRIBUTE)


def install() -> None:
    """Wrap `Task.__init__` once, so that a numbered workflow's new tasks get their ids."""
    original = Task.__init__
    if getattr(original, "_yimen_numbered", False):
        return

    def __init__(self, workflow, task_spec, parent=None, state=TaskState.MAYBE,
                 id=None):  # noqa: A002 - SpiffWorkflow's own signature
        if id is None:
            ids = getattr(getattr(workflow, "top_workflow", workflow), ATTRIBUTE, None) \
                or _constructing.get()
            if ids is not None:
                id = ids.draw()  # noqa: A001
        original(self, workflow, task_spec, parent, state, id)

    __init__._yimen_numbered = True
    Task.__init__ = __init__


install()
