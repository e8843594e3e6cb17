"""Duplicate applications, found as soon as the head's ID number is typed on intake.

The same rule as opening a case (engine.money.households.link): a household is its head's ID
number within the procedure's region, and a household with a running case cannot apply again.
The answer is scoped: a running case the official may see is named (for a link); one they may
not see is only said to exist, as the refusal on submitting would say. A household already
receiving a benefit is named with it (category and monthly amount), as a warning: it may apply
again (a re-entry or a review), but the official should know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.casework import intake
from engine.money import households, monthly
from engine.people import scope
from engine.store.errors import Invalid
from engine.store.models import Case, Household, ProcedureVersion, User
from engine.workflow import procedures

CATEGORY = "category"  # the step field that records 认定类别 (as engine.data.ledgers reads it)


@dataclass
class Benefit:
    category: str  # the code the procedure decided ("" when it decided none)
    category_label: str  # as the approved case's forms name it (the code when none does)
    monthly_amount: Decimal
    effective_from: date
    case_id: int | None  # the approved case, when the official may see it


@dataclass
class Found:
    running: bool  # a case of the household is running
    running_case_id: int | None  # that case, when the official may see it
    benefit: Benefit | None  # the benefit in force, when it pays
    exits: bool = False  # the procedure ends a benefit (销号): it needs one, unlike an application


def _visible(db: Session, actor: User, case_id: int | None) -> int | None:
    if case_id is None:
        return None
    return db.scalar(select(Case.id).where(Case.id == case_id, scope.case_filter(actor)))


def check(db: Session, actor: User, procedure_key: str, village_code: str,
          id_number: str) -> Found:
    """What an application naming `id_number` as head would meet at the village."""
    head = (id_number or "").strip().upper()
    if not households.ID_NUMBER.fullmatch(head):
        raise Invalid({"id_number": ["请输入18位身份证号码"]})
    scope.require_official(actor)
    _village, version = intake.place(db, actor, procedure_key, village_code)
    exits = bool(procedures.model_of(version).exits)
    household_id = db.scalar(select(Household.id).where(
        Household.region_path == version.region.path, Household.head_id_number == head))
    if household_id is None:
        return Found(False, None, None, exits)
    running = db.scalar(select(Case.id).where(Case.household_id == household_id,
                                              Case.status == "running")
                        .order_by(Case.id).limit(1))
    return Found(running is not None, _visible(db, actor, running),
                 _benefit(db, actor, household_id), exits)


def _benefit(db: Session, actor: User, household_id: int) -> Benefit | None:
    row = households.current_benefit(db, household_id)
    if row is None or households.ended(row) or not row.monthly_amount:
        return None
    category = monthly.category_of(row)
    return Benefit(category, _label(db, row.case_id, category), Decimal(row.monthly_amount),
                   row.effective_from, _visible(db, actor, row.case_id))


def _label(db: Session, case_id: int, category: str) -> str:
    """The category's option label in the approved case's own forms (认定类别 is a step's
    `category` choice, by the forms' convention), else the code."""
    version = db.scalar(select(ProcedureVersion).join(Case, Case.procedure_version_id ==
                                                      ProcedureVersion.id)
                        .where(Case.id == case_id))
    if not category or version is None:
        return category
    for key in sorted(procedures.model_of(version).form_keys):
        form = procedures.form_of(version, key)
        if any(f.name == CATEGORY for f in form.fields):
            label = form.choice_label(CATEGORY, category)
            if label != category:
                return label
    return category
