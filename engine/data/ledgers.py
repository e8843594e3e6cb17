"""Ledgers (台账): every case an official's org may see, with the figures a ledger lists.

Unlike `cases.search` (a page of 200 at most), a ledger walks all matching cases, in id
order and in batches, so that a district's export does not hold every row in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.casework import cases
from engine.money import households
from engine.store.models import Benefit, Case, HumanTask, OrgUnit, User

BATCH = 500
# Step fields a ledger lists, by the forms' naming convention: the category a household is
# recognised in (认定类别) and its monthly top-up (月补差金额).
CATEGORY = "category"
AMOUNT = "amount"
# Levels whose ledger has a sheet per group below it (村有册、镇有簿、区有电子档案).
GROUPED_LEVELS = ("township", "district", "city", "province")


@dataclass
class LedgerRow:
    case: Case
    township: str
    # Each completed step's form key and data, later completions winning (a returned step
    # done twice counts once): {step: (form key, data)}.
    steps: dict[str, tuple[str, dict[str, Any]]]
    benefit: Benefit | None = None  # the case's newest benefit row, once approved

    def _recorded(self, name: str) -> tuple[str, Any] | None:
        """(form key, value) of the last step, in step order, that recorded `name`."""
        found = None
        for form_key, data in self.steps.values():
            if data.get(name) not in (None, ""):
                found = (form_key, data[name])
        return found

    @property
    def category(self) -> tuple[str, Any] | None:
        """(form key, code) of the category the steps recorded, for its label; None if none."""
        return self._recorded(CATEGORY)

    @property
    def amount(self) -> Any | None:
        """The monthly top-up of an approved case: its benefit (whatever field the approval
        form names it), else what the steps recorded as `amount`."""
        if self.case.status != "approved":
            return None
        if self.benefit is not None:
            return self.benefit.monthly_amount
        found = self._recorded(AMOUNT)
        return found[1] if found else None


def groups(actor: User, found: list[LedgerRow]) -> dict[str, list[LedgerRow]]:
    """A township's book has a register per village, a district's (or higher) archive one per
    township; a village's register has no groups."""
    if actor.org.level not in GROUPED_LEVELS:
        return {}
    by_group: dict[str, list[LedgerRow]] = {}
    for row in found:
        key = row.case.village.name if actor.org.level == "township" else row.township
        by_group.setdefault(key or "—", []).append(row)
    return by_group


def rows(db: Session, actor: User, status: str | None = None, village: str | None = None,
         q: str | None = None) -> Iterator[LedgerRow]:
    """Matching visible cases, oldest first, with their township names and step data."""
    query = cases.search_query(actor, status, village, q)
    townships: dict[int, str] = {}
    last_id = 0
    while True:
        batch = list(db.scalars(query.where(Case.id > last_id).order_by(Case.id).limit(BATCH)))
        if not batch:
            return
        last_id = batch[-1].id
        parents = {c.village.parent_id for c in batch} - set(townships) - {None}
        if parents:
            for org in db.scalars(select(OrgUnit).where(OrgUnit.id.in_(parents))):
                townships[org.id] = org.name
        steps: dict[int, dict[str, tuple[str, dict[str, Any]]]] = {}
        done = db.scalars(
            select(HumanTask)
            .where(HumanTask.case_id.in_([c.id for c in batch]),
                   HumanTask.completed_at.is_not(None), HumanTask.outcome != "cancelled")
            .order_by(HumanTask.completed_at)
        )
        for task in done:
            steps.setdefault(task.case_id, {})[task.step] = (task.form_key, task.data or {})
        benefits = households.latest_benefits(db, [c.id for c in batch])
        for case in batch:
            yield LedgerRow(case, townships.get(case.village.parent_id or 0, ""),
                            steps.get(case.id, {}), benefits.get(case.id))
