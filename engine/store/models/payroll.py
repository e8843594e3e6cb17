"""An adopted roll (存量名册导入), each household's payee details, and the monthly payroll
(发放花名册) once the district has confirmed it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.store.models.base import Base, Money, UTCDateTime
from engine.store.models.people import OrgUnit


class RollImport(Base):
    """One accepted roll file: who loaded which file (by digest) for which region, and what
    it added. A refused file leaves no row."""

    __tablename__ = "roll_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    households: Mapped[int] = mapped_column(Integer)
    persons: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    region: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)


class HouseholdPayee(Base):
    """Where a household's benefit is paid (银行账号, personal data: shown to scoped officials
    only, never logged). Its category is the benefit's (`Benefit.facts`)."""

    __tablename__ = "household_payee"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), unique=True)
    bank_account: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[str] = mapped_column(String(64))  # roll:<import id>
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Payroll(Base):
    """A district's payroll for a month, frozen when the district confirmed it: its rows
    never change afterwards, whatever later happens to the benefits."""

    __tablename__ = "payroll"
    __table_args__ = (UniqueConstraint("region_id", "month", name="uq_payroll_region_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    households: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Money)
    sha256: Mapped[str] = mapped_column(String(64))  # over the frozen rows, also audited
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    region: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)


class PayrollRow(Base):
    """One household's line of a confirmed payroll, as it was when confirmed."""

    __tablename__ = "payroll_row"
    __table_args__ = (Index("ix_payroll_row_payroll", "payroll_id", "org_path",
                            postgresql_ops={"org_path": "varchar_pattern_ops"}),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payroll_id: Mapped[int] = mapped_column(ForeignKey("payroll.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    org_path: Mapped[str] = mapped_column(String(400))  # the village's path, for scope
    village_code: Mapped[str] = mapped_column(String(32))
    village_name: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    account: Mapped[str] = mapped_column(String(40), default="")
    amount: Mapped[Decimal] = mapped_column(Money)
    previous_amount: Mapped[Decimal] = mapped_column(Money)
    change: Mapped[str | None] = mapped_column(String(16))
