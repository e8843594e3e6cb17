"""Where a case stands, for the header of its page: what it waits on (steps held by orgs, a
public notice until its end, or nothing once it has an outcome), the amount, category and
standard it was granted (or is proposed), and the names of the people in its history.

The case page read "当前待办：无" during a notice and showed usernames; this module gathers
what a reader needs so that the page only lays it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.money import households, standards
from engine.store.amounts import fen, number
from engine.store.models import AuditEvent, Case, HumanTask, Notice, Standard, User
from engine.time import calendar

CATEGORY = "category"  # the decided category (认定类别 / 分类施保类别), by the forms' convention
AMOUNT = "amount"  # the monthly top-up a step decided (月补差金额), by the same convention
REFUSED = "reject"  # the decision value that refuses
VOIDING = (REFUSED, "return")  # outcomes after which nothing decided before stands


@dataclass(frozen=True)
class Award:
    """What the household gets: the benefit once approved, else the tables' proposal."""

    amount: Decimal | None
    proposed: bool  # True while the amount is only the decision tables' proposal
    category: str | None  # a code; labelled by the page
    standard: Standard | None  # in force on the benefit's first day (or today)


@dataclass
class Standing:
    """What the case waits on now; at most one of `tasks`/`notices` is usually non-empty."""

    status: str
    tasks: list[HumanTask]  # open steps: who acts next
    notices: list[Notice]  # open public notices, earliest end first
    closed_at: datetime | None
    award: Award
    # actor id -> the person's display name (their username when they have none)
    names: dict[int, str] = field(default_factory=dict)


def of_case(db: Session, case: Case, open_tasks: Sequence[HumanTask],
            posted: Iterable[Notice], decisions: dict[str, Any],
            history: Iterable[AuditEvent], now: datetime,
            done: Sequence[HumanTask] = ()) -> Standing:
    """The case's standing from what `cases.detail` already read, plus its benefit."""
    notices = sorted((n for n in posted if n.closed_at is None),
                     key=lambda n: (n.ends_at is None, n.ends_at or now, n.id))
    return Standing(case.status, list(open_tasks), notices, case.closed_at,
                    award(db, case, decisions, now, done), display_names(db, history))


def award(db: Session, case: Case, decisions: dict[str, Any], now: datetime,
          done: Sequence[HumanTask] = ()) -> Award:
    """Approved: the newest benefit row (amount and the category kept in its facts).
    Running: what a step decided (the approval's amount and category, during the district's
    notice before the benefit exists), else the decision tables' proposal, if they ran."""
    benefit = households.latest_benefit(db, case.id)
    if benefit is not None:
        category = (benefit.facts or {}).get(CATEGORY) or decisions.get(CATEGORY)
        return Award(benefit.monthly_amount, False, _text(category),
                     standards.in_force(db, case.org_path, benefit.effective_from))
    if case.status != "running":  # refused, withdrawn: nothing was granted
        return Award(None, False, None, standards.in_force(db, case.org_path,
                                                            calendar.local_date(now)))
    standard = standards.in_force(db, case.org_path, calendar.local_date(now))
    if refusing_step(done) is not None:  # the refusal is being served: no proposal stands
        return Award(None, False, None, standard)
    decided = number(_recorded(done, AMOUNT))
    category = _text(_recorded(done, CATEGORY) or decisions.get(CATEGORY))
    if decided is not None:
        return Award(fen(decided), False, category, standard)
    proposed = number(decisions.get("proposed_amount"))
    return Award(fen(proposed) if proposed is not None else None, True, category, standard)


def refusing_step(done: Sequence[HumanTask]) -> HumanTask | None:
    """The latest deciding step (one whose form has a `decision`) if it said reject."""
    deciding = [t for t in sorted(done, key=lambda t: (t.completed_at, t.id))
                if t.data and "decision" in t.data]
    return deciding[-1] if deciding and deciding[-1].outcome == REFUSED else None


def _recorded(done: Sequence[HumanTask], name: str) -> Any:
    """The value the last completed step recorded for `name` (None if none did); a later
    refusal or return voids it (the sample 批准 amount of a case sent back is not granted)."""
    found = None
    for task in sorted(done, key=lambda t: (t.completed_at, t.id)):
        value = (task.data or {}).get(name)
        if task.outcome in VOIDING:
            found = None
        elif value not in (None, ""):
            found = value
    return found


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def display_names(db: Session, history: Iterable[AuditEvent]) -> dict[int, str]:
    """Actor id -> display name for the people in a history (one query)."""
    ids = {e.actor_id for e in history if e.actor_id is not None}
    if not ids:
        return {}
    rows = db.execute(select(User.id, User.display_name, User.username)
                      .where(User.id.in_(ids))).all()
    return {uid: display or username for uid, display, username in rows}
