"""Households on the roll, their benefits, and each region's dated standard."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.store.models.base import (
    Base,
    Money,
    UTCDateTime,
)
from engine.store.models.people import OrgUnit


class Household(Base):
    """A household of a region, known by its head's ID number: the thread through its cases
    (identification, yearly review, exit, re-entry). Dynamic management (动态管理)."""

    __tablename__ = "household"
    __table_args__ = (
        UniqueConstraint("region_path", "head_id_number", name="uq_household_region_head"),
        Index("ix_household_org_path", "org_path",
              postgresql_ops={"org_path": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_path: Mapped[str] = mapped_column(String(400))  # the procedure region's org path
    org_path: Mapped[str] = mapped_column(String(400))  # village path of its latest case
    head_id_number: Mapped[str] = mapped_column(String(18))
    head_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Benefit(Base):
    """A household's monthly top-up (补差) from a date: appended, never edited.

    The current benefit of a case is its newest row. Rows come from approval and from bulk
    recalculation after a standard is adjusted.
    """

    __tablename__ = "benefit"
    __table_args__ = (Index("ix_benefit_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    monthly_amount: Mapped[Decimal] = mapped_column(Money)
    per_capita_income: Mapped[Decimal | None] = mapped_column(Money)  # yuan/person/year
    household_size: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The household's values of the variables its bundle's decision tables read (incomes by
    # category, member counts, area…), so that a recalculation can run the region's rules again.
    facts: Mapped[dict[str, Any] | None] = mapped_column()

    EXIT = "exit:"  # source of the 0 row that ends a benefit: "exit:<exit case id>"

    @property
    def exit_case_id(self) -> int | None:
        """The exit case that ended the benefit, if this row is that end."""
        return int(self.source[len(self.EXIT):]) if self.source.startswith(self.EXIT) else None


class HouseholdExit(Base):
    """销号: the record that a household left the roll (扶贫对象销号制度, 临扶组字〔2017〕3号),
    written when its exit case ends `exited`: the day, the reason and the confirming document.
    Appended, never edited; a household that re-enters and leaves again gets a second row."""

    __tablename__ = "household_exit"
    __table_args__ = (Index("ix_household_exit_household", "household_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), unique=True)
    exited_on: Mapped[date] = mapped_column(Date)  # the day the exit was confirmed (China)
    reason: Mapped[str] = mapped_column(String(32))  # engine.money.deregistration.REASONS
    document: Mapped[str] = mapped_column(String(200), default="")  # 退出确认文书编号
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Standard(Base):
    """A region's dated standard (低保标准), yuan per person per month or year, by scheme.

    The one source that identification, reviews and recalculation read: the standard in force
    for a case is the newest row on or before the day, of the nearest ancestor of its village
    that has one (engine/money/standards.py). Appended, never edited.
    """

    __tablename__ = "standard"
    __table_args__ = (UniqueConstraint("region_id", "scheme", "effective_from",
                                       name="uq_standard_region_scheme_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    scheme: Mapped[str] = mapped_column(String(32), default="dibao")
    effective_from: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    period: Mapped[str] = mapped_column(String(8))  # month | year
    document: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64))  # cli | api | bundle:<dir> | case:<id>
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    region: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)
